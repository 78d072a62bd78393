import { createHash } from 'node:crypto';
import type pg from 'pg';
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
import type { PostgresStatements } from './postgres.dialect.js';
import type { JobRow } from './row-mapper.js';
import { ROLLBACK, unwrapRows, withTransaction } from './pg-transaction.js';
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

export interface PostgresBackendOptions {
  /**
   * Sends each statement as a named prepared statement, so that every connection of the pool
   * parses and plans it once instead of on every call. False for poolers that do not keep
   * prepared statements across transactions, such as PgBouncer in transaction mode before
   * version 1.21.
   */
  preparedStatements: boolean;
}

/**
 * Runs the PostgreSQL statements on the pg.Pool of TypeORM's driver, or through an
 * EntityManager to join the caller's transaction.
 */
export class PostgresBackend implements StorageBackend {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: PostgresStatements,
    private readonly options: PostgresBackendOptions = { preparedStatements: true },
  ) {}

  async insertJobs(jobs: NewJob[], manager?: EntityManager): Promise<string[]> {
    const rows = await this.query<{ id: string }>(this.sql.insertJobs, insertParameters(jobs), manager);
    return rows.map((row) => row.id);
  }

  async insertAllOrNothing(jobs: NewJob[], manager?: EntityManager): Promise<string[] | null> {
    if (manager) return insertUnderSavepoint(manager, this.sql.insertJobs, insertParameters(jobs), jobs.length);
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: string }>(this.statement(this.sql.insertJobs, insertParameters(jobs)));
      return rows.length < jobs.length ? ROLLBACK : rows.map((row) => row.id);
    });
  }

  async findLiveHolders(uniqueKeys: string[], manager?: EntityManager): Promise<Map<string, string>> {
    const rows = await this.query<{ unique_key: string; id: string }>(
      this.sql.findLiveHolders,
      [uniqueKeys],
      manager,
    );
    return new Map(rows.map((row) => [row.unique_key, row.id]));
  }

  async insertClaimed(job: NewJob, claim: ClaimAtInsert): Promise<JobRow | null> {
    const [row] = await this.query<JobRow>(this.sql.insertClaimed, [
      job.id,
      job.type,
      job.queue,
      job.argsJson,
      job.priority,
      job.maxRetries,
      job.uniqueKey,
      encodeBackoff(job.backoff),
      claim.workerId,
      Math.round(claim.lockMs),
    ]);
    return row ?? null;
  }

  claim(request: ClaimRequest): Promise<JobRow[]> {
    const single = request.queues.length === 1;
    return this.query<JobRow>(single ? this.sql.claimOneQueue : this.sql.claim, [
      single ? request.queues[0] : request.queues,
      request.limit,
      request.workerId,
      Math.round(request.lockMs),
    ]);
  }

  async recordOutcomes(outcomes: JobOutcome[]): Promise<string[]> {
    const batch = JSON.stringify(
      outcomes.map((outcome) => ({
        id: outcome.id,
        worker_id: outcome.workerId,
        attempt: outcome.attempt,
        kind: outcome.kind,
        result: outcome.kind === 'completed' ? outcome.resultJson : null,
        error: 'errorJson' in outcome ? outcome.errorJson : null,
        delay_ms: outcome.kind === 'retrying' ? Math.round(outcome.delayMs) : null,
      })),
    );
    const rows = await this.query<{ id: string }>(this.sql.recordOutcomes, [batch]);
    return rows.map((row) => row.id);
  }

  async heartbeat(workerId: string, lockMs: number, jobIds: string[] | null): Promise<string[]> {
    const rows = await this.query<{ id: string }>(this.sql.heartbeat, [workerId, Math.round(lockMs), jobIds]);
    return rows.map((row) => row.id);
  }

  reclaimStaleLocks(staleAgeMs: number, limit: number): Promise<ReclaimedRow[]> {
    return this.query<ReclaimedRow>(this.sql.reclaimStaleLocks, [Math.round(staleAgeMs), limit]);
  }

  loadCheckpoints(jobId: string): Promise<CheckpointRow[]> {
    return this.query<CheckpointRow>(this.sql.loadCheckpoints, [jobId]);
  }

  async saveCheckpoint(token: ClaimToken, checkpoint: CheckpointRecord): Promise<boolean> {
    const rows = await this.query(this.sql.saveCheckpoint, [
      token.id,
      token.workerId,
      token.attempt,
      checkpoint.key,
      checkpoint.kind,
      checkpoint.name,
      checkpoint.sequence,
      checkpoint.outcome,
      checkpoint.valueJson,
    ]);
    return rows.length === 1;
  }

  async suspendForFanOut(token: ClaimToken, fanOut: NewFanOut, children: NewJob[]): Promise<boolean> {
    const suspended = await withTransaction(this.pool, async (client) => {
      const parent = await client.query(this.statement(this.sql.suspendParent, [token.id, token.workerId, token.attempt]));
      if (parent.rowCount !== 1) return ROLLBACK;
      await client.query(
        this.statement(this.sql.insertFanOut, [
          fanOut.id,
          fanOut.parentJobId,
          fanOut.key,
          fanOut.strategy,
          fanOut.threshold,
          fanOut.total,
          fanOut.cancelOnParentFailure,
          fanOut.timeoutMs,
        ]),
      );
      for (let start = 0; start < children.length; start += FAN_OUT_INSERT_BATCH) {
        await client.query(this.statement(this.sql.insertJobs, insertParameters(children.slice(start, start + FAN_OUT_INSERT_BATCH))));
      }
      return true;
    });
    return suspended === true;
  }

  async findFanOut(parentJobId: string, key: string): Promise<FanOutRow | null> {
    const [row] = await this.query<FanOutRow>(this.sql.findFanOut, [parentJobId, key]);
    return row ?? null;
  }

  fanOutChildren(fanOutId: string): Promise<FanOutChildRow[]> {
    return this.query<FanOutChildRow>(this.sql.fanOutResults, [fanOutId]);
  }

  async settleStalledFanOuts(staleAgeMs: number): Promise<number> {
    const rows = await this.query(this.sql.settleStalledFanOuts, [Math.round(staleAgeMs)]);
    return rows.length;
  }

  async pauseJob(id: string, allowedStatuses: string[]) {
    if (!UUID_PATTERN.test(id)) return null;
    const [row] = await this.query<{ previous_status: string; locked_by: string | null; changed: string | number }>(
      this.sql.pauseJob,
      [id, allowedStatuses],
    );
    return row ? { previousStatus: row.previous_status, lockedBy: row.locked_by, changed: Number(row.changed) > 0 } : null;
  }

  async resumeJob(id: string) {
    if (!UUID_PATTERN.test(id)) return null;
    const [row] = await this.query<{ previous_status: string; status: string | null }>(this.sql.resumeJob, [id]);
    return row ? { previousStatus: row.previous_status, status: row.status } : null;
  }

  async cancelJob(id: string) {
    if (!UUID_PATTERN.test(id)) return { previousStatus: null, cancelledIds: [] };
    const rows = await this.query<{ previous_status: string | null; id: string }>(this.sql.cancelJob, [id]);
    if (rows.length === 0) {
      // Nothing was cancelled; read the status on its own to tell a missing job from a finished one.
      const current = await this.getJob(id);
      return { previousStatus: current?.status ?? null, cancelledIds: [] };
    }
    return { previousStatus: rows[0].previous_status, cancelledIds: rows.map((row) => row.id) };
  }

  lockStates(ids: string[]): Promise<LockStateRow[]> {
    return this.query<LockStateRow>(this.sql.lockStates, [ids]);
  }

  async pauseQueue(queue: string): Promise<boolean> {
    return (await this.query(this.sql.pauseQueue, [queue])).length === 1;
  }

  async resumeQueue(queue: string): Promise<boolean> {
    return (await this.query(this.sql.resumeQueue, [queue])).length === 1;
  }

  async pausedQueues(): Promise<string[]> {
    return (await this.query<{ queue: string }>(this.sql.pausedQueues, [])).map((row) => row.queue);
  }

  pausedJobs(queue: string | null): Promise<JobRow[]> {
    return this.query<JobRow>(this.sql.pausedJobs, [queue]);
  }

  async getJob(id: string): Promise<JobRow | null> {
    // A malformed uuid cannot match any row, and PostgreSQL would reject it with an error.
    if (!UUID_PATTERN.test(id)) return null;
    const rows = await this.query<JobRow>(this.sql.getJob, [id]);
    return rows[0] ?? null;
  }

  listJobs(query: JobQuery): Promise<JobRow[]> {
    return this.query<JobRow>(this.sql.listJobs, [query.statuses, query.queue, query.type, query.limit]);
  }

  async countByStatus(queue: string | null): Promise<Array<{ status: string; count: number }>> {
    const rows = await this.query<{ status: string; count: string | number }>(this.sql.countByStatus, [queue]);
    return rows.map((row) => ({ status: row.status, count: Number(row.count) }));
  }

  private async query<T>(sql: string, parameters: unknown[], manager?: EntityManager): Promise<T[]> {
    if (manager) return unwrapRows<T>(await manager.query(sql, parameters));
    const result = await this.pool.query(this.statement(sql, parameters));
    return result.rows as T[];
  }

  /**
   * Names a statement by a hash of its text. The pool may be an application DataSource's,
   * shared with other storages whose table prefixes give other texts, and pg rejects one
   * name used for two texts on a connection. Planning the claim and insert statements cost
   * about as much server time as running them.
   * NOTE: a migration that changes the type of a column these statements return makes pg
   * reject them on connections that prepared them before ("cached plan must not change
   * result type"). The migrations so far only add columns.
   */
  private statement(text: string, values: unknown[]): pg.QueryConfig {
    if (!this.options.preparedStatements) return { text, values };
    let name = this.names.get(text);
    if (name === undefined) {
      name = `durable_jobs_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      this.names.set(text, name);
    }
    return { name, text, values };
  }
}

function insertParameters(jobs: NewJob[]): unknown[] {
  return [
    jobs.map((job) => job.id),
    jobs.map((job) => job.type),
    jobs.map((job) => job.queue),
    jobs.map((job) => job.argsJson),
    jobs.map((job) => job.priority),
    jobs.map((job) => job.maxRetries),
    jobs.map((job) => job.uniqueKey),
    jobs.map((job) => encodeBackoff(job.backoff)),
    jobs.map((job) => job.runAt),
    jobs.map((job) => Math.round(job.delayMs)),
    jobs.map((job) => job.parentJobId ?? null),
    jobs.map((job) => job.fanOutId ?? null),
    jobs.map((job) => job.fanOutIndex ?? null),
  ];
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
