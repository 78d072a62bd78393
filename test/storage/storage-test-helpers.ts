import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { encodeJson } from '../../lib/common/json-payload.js';
import type { Job } from '../../lib/interfaces/job.interface.js';
import type { ClaimToken, NewJob } from '../../lib/storage/index.js';
import type { Dialect } from '../support/databases.js';

let queueCounter = 0;

/** Returns a queue name no other test uses, so tests sharing one database do not see each other's jobs. */
export function freshQueue(label: string): string {
  queueCounter += 1;
  return `${label}-${queueCounter}-${randomUUID().slice(0, 8)}`;
}

export function freshKey(label: string): string {
  return `${label}-${randomUUID()}`;
}

/** Builds a runnable job for `queue`. Overrides replace any field. */
export function newJob(queue: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: randomUUID(),
    type: 'test.job',
    queue,
    argsJson: encodeJson('args', { queue }),
    priority: 0,
    maxRetries: 3,
    uniqueKey: null,
    backoff: null,
    runAt: null,
    delayMs: 0,
    ...overrides,
  };
}

/** Returns the time `minutes` before now on the test process clock. */
export function minutesAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60_000);
}

export function tokenOf(job: Job): ClaimToken {
  if (job.lockedBy === null) throw new Error(`job ${job.id} is not locked`);
  return { id: job.id, workerId: job.lockedBy, attempt: job.attempt };
}

/** Names of the tables in the current schema (PostgreSQL) or the database file (SQLite). */
export async function listTables(dataSource: DataSource, dialect: Dialect): Promise<string[]> {
  const rows: Array<{ name: string }> =
    dialect === 'postgres'
      ? await dataSource.query(
          'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()',
        )
      : await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table'");
  return rows.map((row) => row.name);
}

/** Sets a job's status behind the storage's back, for states no port method produces yet. */
export async function forceStatus(
  dataSource: DataSource,
  dialect: Dialect,
  table: string,
  id: string,
  status: string,
): Promise<void> {
  const placeholders = dialect === 'postgres' ? ['$1', '$2'] : ['?', '?'];
  await dataSource.query(`UPDATE "${table}" SET status = ${placeholders[0]} WHERE id = ${placeholders[1]}`, [
    status,
    id,
  ]);
}

export async function readMigrationRows(
  dataSource: DataSource,
  table: string,
): Promise<Array<{ id: number; name: string }>> {
  const rows: Array<{ id: number | string; name: string }> = await dataSource.query(
    `SELECT id, name FROM "${table}" ORDER BY id`,
  );
  return rows.map((row) => ({ id: Number(row.id), name: row.name }));
}
