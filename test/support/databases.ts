import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type Dialect = 'sqlite' | 'postgres';

/** Dialects under test: TEST_DIALECTS (comma separated) or both. */
export function testDialects(): Dialect[] {
  const wanted = (process.env.TEST_DIALECTS ?? 'sqlite,postgres').split(',').map((name) => name.trim());
  return (['sqlite', 'postgres'] as const).filter((dialect) => wanted.includes(dialect));
}

/** A database of its own for one test file, dropped afterwards. */
export interface TestDatabase {
  dialect: Dialect;
  /** TypeORM connection options for the library's `connection` module option. */
  connection: { type: 'postgres'; url: string } | { type: 'better-sqlite3'; database: string };
  /** PostgreSQL URL, or the SQLite file path. */
  location: string;
  drop(): Promise<void>;
}

let counter = 0;

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  counter += 1;
  if (dialect === 'sqlite') {
    const directory = mkdtempSync(join(tmpdir(), 'durable-jobs-sqlite-'));
    const file = join(directory, 'jobs.sqlite');
    return {
      dialect,
      connection: { type: 'better-sqlite3', database: file },
      location: file,
      drop: async () => rmSync(directory, { recursive: true, force: true }),
    };
  }

  const serverUrl = process.env.TEST_POSTGRES_URL;
  if (!serverUrl) throw new Error('TEST_POSTGRES_URL is not set; run the suite through npm test');
  const name = `durable_jobs_test_${process.pid}_${Date.now().toString(36)}_${counter}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    dialect,
    connection: { type: 'postgres', url: url.toString() },
    location: url.toString(),
    drop: async () => {
      await withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
