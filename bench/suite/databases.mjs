// A fresh database for every benchmark: a new PostgreSQL database on the server, or a new
// SQLite file in a temporary folder. Both are deleted by drop().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createDatabase } from '../support/postgres-server.mjs';
import { progress } from './common.mjs';
import { configurePool, defaultPoolConfig, maxOpenConns } from './library.mjs';

/** The library's jobs table under the default table prefix. */
export const JOBS_TABLE = 'durable_jobs';

export class BenchDatabases {
  /** `serverUrl` is null when the run skips PostgreSQL. */
  constructor(serverUrl, poolMax) {
    this.serverUrl = serverUrl;
    this.poolMax = poolMax;
  }

  /** Creates an empty database for one benchmark; the library's migrations have not run yet. */
  async open(dialect, label) {
    if (dialect === 'postgres') return this.openPostgres(label);
    if (dialect === 'sqlite') return openSqlite(label);
    throw new Error(`Invalid dialect ${JSON.stringify(dialect)}; expected sqlite or postgres`);
  }

  async openPostgres(label) {
    const database = await createDatabase(this.serverUrl, label.replace(/[^a-z0-9]+/gi, '_').toLowerCase());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    return {
      dialect: 'postgres',
      url: database.url,
      connection: configurePool({ type: 'postgres', url: database.url }, defaultPoolConfig(), maxOpenConns(this.poolMax)),
      query: async (sql, parameters = []) => (await client.query(sql, parameters)).rows,
      settle: () => settlePostgres(client),
      drop: async () => {
        await client.end();
        await database.drop();
      },
    };
  }
}

/**
 * Writes the server's dirty pages to disk with CHECKPOINT, so that a latency benchmark does
 * not sample while the server is still flushing the writes of the benchmarks before it,
 * which added 1 to 2 ms to each commit here. A role that may not run CHECKPOINT (PostgreSQL
 * 15 grants it to superusers and pg_checkpoint) measures without it.
 */
let checkpointUnavailable = false;
async function settlePostgres(client) {
  if (checkpointUnavailable) return;
  try {
    await client.query('CHECKPOINT');
  } catch (error) {
    checkpointUnavailable = true;
    progress(`CHECKPOINT before the latency samples failed, so they run without it: ${error.message}`);
  }
}

function openSqlite(label) {
  const directory = mkdtempSync(join(tmpdir(), `durable-jobs-bench-${label}-`));
  const path = join(directory, 'jobs.sqlite');
  let handle = null;
  return {
    dialect: 'sqlite',
    path,
    connection: { type: 'better-sqlite3', database: path },
    // SQLite has no server that writes in the background.
    settle: async () => undefined,
    query: async (sql, parameters = []) => {
      // Opened on first use, after the library created the file and switched it to WAL mode.
      handle ??= new Database(path, { timeout: 5_000 });
      return handle.prepare(sql).all(...parameters);
    },
    drop: async () => {
      handle?.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Reads the drain window of the completed jobs from the database clock: the first claim
 * (earliest started_at) to the last completion (latest completed_at), in milliseconds.
 */
export async function completedWindow(target) {
  const sql =
    target.dialect === 'postgres'
      ? `SELECT count(*)::int AS completed,
                extract(epoch FROM max(completed_at) - min(started_at)) * 1000 AS window_ms
         FROM ${JOBS_TABLE} WHERE status = 'completed'`
      : `SELECT count(*) AS completed, max(completed_at) - min(started_at) AS window_ms
         FROM ${JOBS_TABLE} WHERE status = 'completed'`;
  const [row] = await target.query(sql);
  return { completed: Number(row.completed), windowMs: Number(row.window_ms) };
}

export async function countCompleted(target) {
  const [row] = await target.query(`SELECT count(*) AS completed FROM ${JOBS_TABLE} WHERE status = 'completed'`);
  return Number(row.completed);
}
