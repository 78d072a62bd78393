import type BetterSqlite3 from 'better-sqlite3';
import type { EntityManager } from 'typeorm';
import type {
  CheckpointRecord,
  ClaimAtInsert,
  ClaimRequest,
  ClaimToken,
  JobOutcome,
  NewFanOut,
  NewJob,
} from '../job-storage.interface.js';
import { encodeBackoff } from './encode-backoff.js';
import type { JobRow } from './row-mapper.js';
import type { SqliteStatements } from './sqlite.dialect.js';
import { insertUnderSavepoint } from './savepoint.js';
import {
  FAN_OUT_INSERT_BATCH,
  type CheckpointRow,
  type FanOutChildRow,
  type FanOutRow,
  type JobQuery,
  type LockStateRow,
  type ReclaimedRow,
  type StorageBackend,
} from './storage-backend.js';

/** A row written by an outcome or a reclaim, as the fan-out bookkeeping needs it. */
interface WrittenRow {
  id: string;
  status: string;
  fan_out_id: string | null;
}

interface DecidedRow {
  parent_job_id: string;
  status: string;
}

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

  async insertClaimed(job: NewJob, claim: ClaimAtInsert): Promise<JobRow | null> {
    const [row] = this.writeAll<JobRow>('insertClaimed', {
      id: job.id,
      type: job.type,
      queue: job.queue,
      args: job.argsJson,
      priority: job.priority,
      maxRetries: job.maxRetries,
      uniqueKey: job.uniqueKey,
      backoff: encodeBackoff(job.backoff),
      workerId: claim.workerId,
      lockMs: Math.round(claim.lockMs),
    });
    return row ?? null;
  }

  async claim(request: ClaimRequest): Promise<JobRow[]> {
    if (request.queues.length === 1) {
      return this.writeAll('claimOneQueue', {
        workerId: request.workerId,
        queue: request.queues[0],
        limit: request.limit,
        lockMs: Math.round(request.lockMs),
      });
    }
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
    const statement = this.prepare('recordOutcomes');
    const run = this.database.transaction(() => {
      const rows = statement.all({ outcomes: batch }) as WrittenRow[];
      this.applyFanOutEffects(rows);
      return rows.map((row) => row.id);
    });
    return run.immediate();
  }

  async heartbeat(workerId: string, lockMs: number, jobIds: string[] | null): Promise<string[]> {
    const rows = this.writeAll<{ id: string }>('heartbeat', {
      workerId,
      lockMs: Math.round(lockMs),
      jobIds: jobIds === null ? null : JSON.stringify(jobIds),
    });
    return rows.map((row) => row.id);
  }

  async reclaimStaleLocks(staleAgeMs: number, limit: number): Promise<ReclaimedRow[]> {
    const find = this.prepare('findStaleLocks');
    const reclaim = this.prepare('reclaimStaleLocks');
    const run = this.database.transaction(() => {
      const stale = find.all({ staleMs: Math.round(staleAgeMs), limit }) as Array<{ id: string; lost_worker: string | null }>;
      if (stale.length === 0) return [];
      const lostWorkers = new Map(stale.map((row) => [row.id, row.lost_worker]));
      const rows = reclaim.all({ ids: JSON.stringify(stale.map((row) => row.id)) }) as Array<
        Omit<ReclaimedRow, 'lost_worker'> & WrittenRow
      >;
      this.applyFanOutEffects(rows);
      return rows.map(({ fan_out_id: _fanOut, ...row }) => ({ ...row, lost_worker: lostWorkers.get(row.id) ?? null }));
    });
    return run.immediate();
  }

  async loadCheckpoints(jobId: string): Promise<CheckpointRow[]> {
    return this.prepare('loadCheckpoints').all({ jobId }) as CheckpointRow[];
  }

  async saveCheckpoint(token: ClaimToken, checkpoint: CheckpointRecord): Promise<boolean> {
    const rows = this.writeAll<{ key: string }>('saveCheckpoint', {
      jobId: token.id,
      workerId: token.workerId,
      attempt: token.attempt,
      key: checkpoint.key,
      kind: checkpoint.kind,
      name: checkpoint.name,
      sequence: checkpoint.sequence,
      outcome: checkpoint.outcome,
      value: checkpoint.valueJson,
    });
    return rows.length === 1;
  }

  async suspendForFanOut(token: ClaimToken, fanOut: NewFanOut, children: NewJob[]): Promise<boolean> {
    const suspend = this.prepare('suspendParent');
    const insertFanOut = this.prepare('insertFanOut');
    const insertJobs = this.prepare('insertJobs');
    const run = this.database.transaction(() => {
      const suspended = suspend.all({ jobId: token.id, workerId: token.workerId, attempt: token.attempt });
      if (suspended.length !== 1) return false;
      insertFanOut.run({
        id: fanOut.id,
        parentJobId: fanOut.parentJobId,
        key: fanOut.key,
        strategy: fanOut.strategy,
        threshold: fanOut.threshold,
        total: fanOut.total,
        cancelOnParentFailure: fanOut.cancelOnParentFailure ? 1 : 0,
        timeoutMs: fanOut.timeoutMs,
      });
      for (let start = 0; start < children.length; start += FAN_OUT_INSERT_BATCH) {
        insertJobs.all(encodeBatch(children.slice(start, start + FAN_OUT_INSERT_BATCH)));
      }
      return true;
    });
    return run.immediate();
  }

  async findFanOut(parentJobId: string, key: string): Promise<FanOutRow | null> {
    return (this.prepare('findFanOut').get({ parentJobId, key }) as FanOutRow | undefined) ?? null;
  }

  async fanOutChildren(fanOutId: string): Promise<FanOutChildRow[]> {
    return this.prepare('fanOutResults').all({ fanOutId }) as FanOutChildRow[];
  }

  async settleStalledFanOuts(staleAgeMs: number): Promise<number> {
    const expire = this.prepare('expireFanOuts');
    const repair = this.prepare('repairFanOuts');
    const wake = this.prepare('wakeParents');
    const run = this.database.transaction(() => {
      const decided = [
        ...(expire.all() as DecidedRow[]),
        ...(repair.all({ staleMs: Math.round(staleAgeMs) }) as DecidedRow[]),
      ];
      const parents = decided.filter((row) => row.status !== 'pending').map((row) => row.parent_job_id);
      if (parents.length > 0) wake.all({ ids: JSON.stringify(parents) });
      return decided.length;
    });
    return run.immediate();
  }

  /**
   * Tallies finished sub-jobs into their fan-outs, wakes parents whose fan-out is decided,
   * and cancels the live sub-jobs of failed parents that asked for it. Runs inside the
   * transaction that wrote the rows, as the PostgreSQL statements do in their CTEs.
   */
  private applyFanOutEffects(rows: WrittenRow[]): void {
    const tally = new Map<string, { fanOutId: string; succeeded: number; failed: number }>();
    for (const row of rows) {
      if (!row.fan_out_id || !['completed', 'failed', 'cancelled'].includes(row.status)) continue;
      const entry = tally.get(row.fan_out_id) ?? { fanOutId: row.fan_out_id, succeeded: 0, failed: 0 };
      if (row.status === 'completed') entry.succeeded += 1;
      else entry.failed += 1;
      tally.set(row.fan_out_id, entry);
    }
    if (tally.size > 0) {
      const decided = this.prepare('tallyFanOuts').all({ tally: JSON.stringify([...tally.values()]) }) as DecidedRow[];
      const parents = decided.filter((row) => row.status !== 'pending').map((row) => row.parent_job_id);
      if (parents.length > 0) this.prepare('wakeParents').all({ ids: JSON.stringify(parents) });
    }
    const failedParents = rows.filter((row) => row.status === 'failed').map((row) => row.id);
    if (failedParents.length > 0) {
      this.prepare('cancelOrphanedSubJobs').all({
        parents: JSON.stringify(failedParents),
        written: JSON.stringify(rows.map((row) => row.id)),
      });
    }
  }

  async pauseJob(id: string, allowedStatuses: string[]) {
    const read = this.prepare('jobLockState');
    const pause = this.prepare('pauseJob');
    const run = this.database.transaction(() => {
      const current = read.get({ id }) as { status: string; locked_by: string | null } | undefined;
      if (!current) return null;
      const changed = allowedStatuses.includes(current.status);
      if (changed) pause.run({ id });
      return { previousStatus: current.status, lockedBy: current.locked_by, changed };
    });
    return run.immediate();
  }

  async resumeJob(id: string) {
    const read = this.prepare('jobLockState');
    const resume = this.prepare('resumeJob');
    const run = this.database.transaction(() => {
      const current = read.get({ id }) as { status: string } | undefined;
      if (!current) return null;
      const resumed = resume.get({ id }) as { status: string } | undefined;
      return { previousStatus: current.status, status: resumed?.status ?? null };
    });
    return run.immediate();
  }

  async cancelJob(id: string) {
    const read = this.prepare('jobLockState');
    const tree = this.prepare('jobTree');
    const cancel = this.prepare('cancelJobs');
    const run = this.database.transaction(() => {
      const current = read.get({ id }) as { status: string } | undefined;
      if (!current) return { previousStatus: null, cancelledIds: [] };
      const ids = (tree.all({ id }) as Array<{ id: string }>).map((row) => row.id);
      const rows = cancel.all({ ids: JSON.stringify(ids), root: id }) as WrittenRow[];
      this.applyFanOutEffects(rows);
      return { previousStatus: current.status, cancelledIds: rows.map((row) => row.id) };
    });
    return run.immediate();
  }

  async lockStates(ids: string[]): Promise<LockStateRow[]> {
    return this.prepare('lockStates').all({ ids: JSON.stringify(ids) }) as LockStateRow[];
  }

  async pauseQueue(queue: string): Promise<boolean> {
    return this.writeAll('pauseQueue', { queue }).length === 1;
  }

  async resumeQueue(queue: string): Promise<boolean> {
    return this.writeAll('resumeQueue', { queue }).length === 1;
  }

  async pausedQueues(): Promise<string[]> {
    return (this.prepare('pausedQueues').all() as Array<{ queue: string }>).map((row) => row.queue);
  }

  async pausedJobs(queue: string | null): Promise<JobRow[]> {
    return this.prepare('pausedJobs').all({ queue }) as JobRow[];
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
      parentJobId: job.parentJobId ?? null,
      fanOutId: job.fanOutId ?? null,
      fanOutIndex: job.fanOutIndex ?? null,
    })),
  );
}
