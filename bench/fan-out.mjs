// Measures a fan-out of many sub-jobs from enqueue to the parent's completion, and the peak
// resident memory of this process while it runs, on SQLite and PostgreSQL. `npm run bench`
// runs the same measurement among its other benchmarks.
// Usage: npm run bench:fan-out [-- --children 10000 --concurrency 100]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureFanOut } from './suite/durable.mjs';
import { createDatabase, providePostgres } from './support/postgres-server.mjs';

const { values: flags } = parseArgs({
  options: {
    children: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '100' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
  },
});
const sizes = { children: Number(flags.children), concurrency: Number(flags.concurrency) };

const rows = [];
const wanted = flags.dialects.split(',');
if (wanted.includes('sqlite')) {
  const directory = mkdtempSync(join(tmpdir(), 'durable-jobs-bench-'));
  rows.push({ dialect: 'sqlite', ...(await measureFanOut({ type: 'better-sqlite3', database: join(directory, 'jobs.sqlite') }, sizes)) });
  rmSync(directory, { recursive: true, force: true });
}
if (wanted.includes('postgres')) {
  const server = await providePostgres();
  const database = await createDatabase(server.url, 'fanout');
  try {
    rows.push({ dialect: 'postgres', ...(await measureFanOut({ type: 'postgres', url: database.url }, sizes)) });
  } finally {
    await database.drop();
    await server.stop();
  }
}
console.table(rows);
console.log(JSON.stringify(rows));
