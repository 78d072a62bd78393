import type BetterSqlite3 from 'better-sqlite3';
import type { EntityManager } from 'typeorm';
import type { ClaimRequest, JobOutcome, NewJob } from '../job-storage.interface.js';
import { encodeBackoff } from './encode-backoff.js';
import type { JobRow } from './row-mapper.js';
import type { SqliteStatements } from './sqlite.dialect.js';
import { insertUnderSavepoint } from './savepoint.js';
import type { JobQuery, ReclaimedRow, StorageBackend } from './storage-backend.js';

type StatementName = keyof SqliteStatements;

/**
 * Runs the SQLite statements on the better-sqlite3 Database of TypeORM's driver, with
 * prepared statements cached per instance, or through an EntityManager to join the
 * caller's transaction.
 *
 * Writes run in immediate transactions, which take the write lock at BEGIN and so wait out
 * the busy timeout when another process writes. A deferred transaction that reads first can
 * fail at once with SQLITE_BUSY when it tries to write.
 * NOTE: TypeORM's better-sqlite3 driver has one connection per DataSource. While the
 * application keeps a transaction open on that DataSource, these writes join it as a
 * savepoint, and they roll back with it. With a second DataSource on the same file in this
 * process, a write here waits synchronously, blocking the event loop, for any transaction
 * that DataSource keeps open across an await, and fails with SQLITE_BUSY after the busy
 * timeout. One process should therefore use one DataSource per SQLite file.
 */
export class SqliteBackend implements StorageBackend {
  private readonly statements = new Map<StatementName, BetterSqlite3.Statement>();

  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly sql: SqliteStatements,
  ) {}

  async insertJobs(jobs: NewJob[], manager?: EntityManager): Promise<string[]> {
    const batch = encodeBatch(jobs);
    const rows: Array<{ id: string }> = manager
      ? await manager.query(this.sql.insertJobs, [batch])
      : this.writeAll('insertJobs', [batch]);
    return rows.map((row) => row.id);
  }

  async insertAllOrNothing(jobs: NewJob[], manager?: EntityManager): Promise<string[] | null> {
    const batch = encodeBatch(jobs);
    if (manager) return insertUnderSavepoint(manager, this.sql.insertJobs, [batch], jobs.length);
    const statement = this.prepare('insertJobs');
    const partial = Symbol('partial batch');
    const insert = this.database.transaction(() => {
      const rows = statement.all(batch) as Array<{ id: string }>;
      // Throwing inside a better-sqlite3 transaction rolls it back.
      if (rows.length < jobs.length) throw partial;
      return rows.map((row) => row.id);
    });
    try {
      return insert.immediate();
    } catch (error) {
      if (error === partial) return null;
      throw error;
    }
  }

  async findLiveHolders(uniqueKeys: string[], manager?: EntityManager): Promise<Map<string, string>> {
    const keys = JSON.stringify(uniqueKeys);
    const rows: Array<{ unique_key: string; id: string }> = manager
      ? await manager.query(this.sql.findLiveHolders, [keys])
      : (this.prepare('findLiveHolders').all(keys) as Array<{ unique_key: string; id: string }>);
    return new Map(rows.map((row) => [row.unique_key, row.id]));
  }

  async claim(request: ClaimRequest): Promise<JobRow[]> {
    return this.writeAll('claim', {
      workerId: request.workerId,
      queues: JSON.stringify(request.queues),
      limit: request.limit,
      lockMs: Math.round(request.lockMs),
    });
  }

  async recordOutcomes(outcomes: JobOutcome[]): Promise<string[]> {
    const batch = JSON.stringify(
      outcomes.map((outcome) => ({
        id: outcome.id,
        workerId: outcome.workerId,
        attempt: outcome.attempt,
        kind: outcome.kind,
        result: outcome.kind === 'completed' ? outcome.resultJson : null,
        error: 'errorJson' in outcome ? outcome.errorJson : null,
        delayMs: outcome.kind === 'retrying' ? Math.round(outcome.delayMs) : null,
      })),
    );
    const rows = this.writeAll<{ id: string }>('recordOutcomes', { outcomes: batch });
    return rows.map((row) => row.id);
  }

  async heartbeat(workerId: string, lockMs: number): Promise<string[]> {
    const rows = this.writeAll<{ id: string }>('heartbeat', { workerId, lockMs: Math.round(lockMs) });
    return rows.map((row) => row.id);
  }

  async reclaimStaleLocks(staleAgeMs: number, limit: number): Promise<ReclaimedRow[]> {
    const find = this.prepare('findStaleLocks');
    const reclaim = this.prepare('reclaimStaleLocks');
    const run = this.database.transaction(() => {
      const stale = find.all({ staleMs: Math.round(staleAgeMs), limit }) as Array<{ id: string; lost_worker: string | null }>;
      if (stale.length === 0) return [];
      const lostWorkers = new Map(stale.map((row) => [row.id, row.lost_worker]));
      const rows = reclaim.all({ ids: JSON.stringify(stale.map((row) => row.id)) }) as Array<Omit<ReclaimedRow, 'lost_worker'>>;
      return rows.map((row) => ({ ...row, lost_worker: lostWorkers.get(row.id) ?? null }));
    });
    return run.immediate();
  }

  async getJob(id: string): Promise<JobRow | null> {
    return (this.prepare('getJob').get({ id }) as JobRow | undefined) ?? null;
  }

  async listJobs(query: JobQuery): Promise<JobRow[]> {
    return this.prepare('listJobs').all({
      statuses: query.statuses === null ? null : JSON.stringify(query.statuses),
      queue: query.queue,
      type: query.type,
      limit: query.limit,
    }) as JobRow[];
  }

  async countByStatus(queue: string | null): Promise<Array<{ status: string; count: number }>> {
    return this.prepare('countByStatus').all({ queue }) as Array<{ status: string; count: number }>;
  }

  /** Runs a statement that writes, inside an immediate transaction, and returns its rows. */
  private writeAll<T = JobRow>(name: StatementName, parameters: unknown): T[] {
    const statement = this.prepare(name);
    const run = this.database.transaction(() => statement.all(parameters) as T[]);
    return run.immediate();
  }

  /** Prepares on first use, because the tables may not exist until migrate() has run. */
  private prepare(name: StatementName): BetterSqlite3.Statement {
    let statement = this.statements.get(name);
    if (!statement) {
      statement = this.database.prepare(this.sql[name]);
      this.statements.set(name, statement);
    }
    return statement;
  }
}

function encodeBatch(jobs: NewJob[]): string {
  return JSON.stringify(
    jobs.map((job) => ({
      id: job.id,
      type: job.type,
      queue: job.queue,
      args: job.argsJson,
      priority: job.priority,
      maxRetries: job.maxRetries,
      uniqueKey: job.uniqueKey,
      backoff: encodeBackoff(job.backoff),
      runAt: job.runAt === null ? null : job.runAt.getTime(),
      delayMs: Math.round(job.delayMs),
    })),
  );
}
