// Measures a fan-out of many sub-jobs from enqueue to the parent's completion, and the peak
// resident memory of this process while it runs, on SQLite and PostgreSQL.
// Usage: npm run bench:fan-out [-- --children 10000 --concurrency 100]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JobCompleted, JobQueue, createJobStorage, fanOut, ofKind, sub, values } from '../build/bench-lib/index.js';
import { createDatabase, providePostgres } from './support/postgres-server.mjs';

const { values: flags } = parseArgs({
  options: {
    children: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '100' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
  },
});
const children = Number(flags.children);
const concurrency = Number(flags.concurrency);

async function measure(dialect, connection) {
  const storage = await createJobStorage({ connection });
  const queue = new JobQueue(storage, { workers: [] });
  queue.register('double', (args) => args.n * 2);
  queue.register('fan-out', async () => {
    const results = await fanOut(Array.from({ length: children }, (_, n) => sub('double', { n })));
    return values(results).length;
  });
  const worker = queue.newWorker({ concurrency, pollInterval: 50 });
  const running = worker.start();

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const done = new Promise((resolve) => {
    const subscription = queue.events$.pipe(ofKind(JobCompleted)).subscribe((event) => {
      if (event.job.type === 'fan-out') {
        subscription.unsubscribe();
        resolve(event.result);
      }
    });
  });
  await queue.enqueue('fan-out', {});
  const count = await done;
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await worker.stop();
  await running;
  await storage.close();
  return { dialect, children: count, concurrency, seconds: Number(seconds.toFixed(2)), peakRssMb: Math.round(peakRss / 1048576) };
}

const rows = [];
const wanted = flags.dialects.split(',');
if (wanted.includes('sqlite')) {
  const directory = mkdtempSync(join(tmpdir(), 'durable-jobs-bench-'));
  rows.push(await measure('sqlite', { type: 'better-sqlite3', database: join(directory, 'jobs.sqlite') }));
  rmSync(directory, { recursive: true, force: true });
}
if (wanted.includes('postgres')) {
  const server = await providePostgres();
  const database = await createDatabase(server.url, 'fanout');
  try {
    rows.push(await measure('postgres', { type: 'postgres', url: database.url }));
  } finally {
    await database.drop();
    await server.stop();
  }
}
console.table(rows);
console.log(JSON.stringify(rows));
