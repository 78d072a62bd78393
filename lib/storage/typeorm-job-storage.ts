import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { assertInteger, assertValidName } from '../common/names.js';
import { RateLimitedLogger } from '../common/rate-limited-logger.js';
import { DuplicateJobError } from '../errors/duplicate-job.error.js';
import { DurableJobsError } from '../errors/durable-jobs.error.js';
import {
  JobNotCancellableError,
  JobNotFoundError,
  JobNotPausableError,
  JobNotPausedError,
  QueueAlreadyPausedError,
  QueueNotPausedError,
} from '../errors/job-control.error.js';
import { PauseMode } from '../control/pause-mode.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { StorageClosedError } from '../errors/storage-closed.error.js';
import { JobStatus, type Job } from '../interfaces/job.interface.js';
import { dialectOfDataSource, dialectOfDriverType, type StorageDialect } from './dialects/dialect.js';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { PostgresBackend } from './dialects/postgres.backend.js';
import { enqueueChannel } from './dialects/postgres.dialect.js';
import { PostgresEnqueueListener } from './postgres-enqueue-listener.js';
import { SqliteChangeWatcher } from './sqlite-change-watcher.js';
import { createPostgresStatements } from './dialects/postgres.dialect.js';
import { compareClaimOrder, mapJobRow } from './dialects/row-mapper.js';
import { SqliteBackend } from './dialects/sqlite.backend.js';
import { createSqliteStatements } from './dialects/sqlite.dialect.js';
import type { StorageBackend } from './dialects/storage-backend.js';
import { deferMethods } from './deferred-backend.js';
import type {
  CheckpointRecord,
  ClaimAtInsert,
  ClaimRequest,
  ClaimToken,
  FanOutChild,
  FanOutRecord,
  NewFanOut,
  EnqueueResult,
  JobFilter,
  JobOutcome,
  JobStorage,
  NewJob,
  ReclaimedJob,
} from './job-storage.interface.js';
import { runDurableJobsMigrations } from './migration-runner.js';
import { listenForPoolErrors } from './pool-error-listeners.js';
import type { ScheduleStorage } from './schedule-storage.interface.js';
import type { StorageReadiness } from './storage-connector.js';
import { resolveTableNames, type TableNames } from './table-names.js';
import { createScheduleStorage } from './typeorm-schedule-storage.js';

export interface TypeOrmJobStorageOptions {
  /** Prefix of the library's table names. Default `durable_`. */
  tablePrefix?: string;
  /** Whether close() destroys the DataSource; true only when the storage created it. */
  ownsDataSource: boolean;
  /** PostgreSQL only: whether to use named prepared statements. Default true, as in JobStorageOptions. */
  preparedStatements?: boolean;
  /**
   * @internal Set when the storage connects and migrates in the background. The DataSource
   * may then be uninitialised, and every call waits until the storage is ready.
   */
  readiness?: StorageReadiness;
}

/**
 * Bounds the insert, look-up, insert-again cycle of enqueue(). Another round is needed only
 * when the job holding a unique key finishes between the insert and the look-up of its id.
 */
const MAX_ENQUEUE_ROUNDS = 5;

const DEFAULT_LIST_LIMIT = 100;

const GRACEFULLY_PAUSABLE: string[] = [JobStatus.Pending, JobStatus.Retrying, JobStatus.Waiting];

const JOB_OUTCOME_KINDS: ReadonlySet<string> = new Set(['completed', 'failed', 'retrying', 'released']);

/**
 * The job storage on PostgreSQL or SQLite through a TypeORM DataSource, initialised when it
 * is passed in or, with `readiness`, by the storage's background connector. The hot
 * paths bypass repositories and query builders: they run one statement each on the driver's
 * own connection, the pg.Pool or the better-sqlite3 Database.
 */
export class TypeOrmJobStorage implements JobStorage {
  readonly dialect: StorageDialect;
  readonly tables: TableNames;
  readonly schedules: ScheduleStorage;
  private backend: StorageBackend;
  private readonly ownsDataSource: boolean;
  private readonly preparedStatements: boolean;
  private readonly readiness: StorageReadiness | null;
  private migration: Promise<void> | null = null;
  private closed = false;
  private readonly listenerStops = new Set<() => Promise<void>>();
  private realBackend: StorageBackend | undefined;
  private stopListeningForPoolErrors: (() => void) | undefined;

  constructor(
    readonly dataSource: DataSource,
    options: TypeOrmJobStorageOptions,
  ) {
    if (!dataSource.isInitialized && !options.readiness) {
      throw new InvalidOptionError('dataSource', dataSource.options.type, 'must be initialised before it is passed in');
    }
    this.dialect = dialectOfDataSource(dataSource);
    this.tables = resolveTableNames(options.tablePrefix);
    this.ownsDataSource = options.ownsDataSource;
    this.preparedStatements = options.preparedStatements ?? true;
    this.readiness = options.readiness ?? null;
    this.backend = this.readiness ? deferMethods(() => this.readyBackend()) : this.createBackend();
    this.schedules = createScheduleStorage(dataSource, this.dialect, this.tables, this.readiness);
  }

  /**
   * Resolves true once the storage has connected and migrated, at once for a storage that
   * was ready when created. Resolves false when `signal` aborts or the storage closes first.
   */
  whenReady(signal?: AbortSignal): Promise<boolean> {
    return this.readiness ? this.readiness.whenReady(signal) : Promise.resolve(true);
  }

  /** Concurrent calls on one storage share a run, because SQLite cannot nest BEGIN IMMEDIATE. */
  migrate(): Promise<void> {
    if (!this.migration) {
      this.migration = runDurableJobsMigrations(this.dataSource, this.dialect, this.tables).finally(() => {
        this.migration = null;
      });
    }
    return this.migration;
  }

  async enqueue(
    jobs: NewJob[],
    manager?: EntityManager,
    options: { allOrNothing?: boolean } = {},
  ): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return [];
    if (manager) this.assertSameDialect(manager);
    if (options.allOrNothing && jobs.some((job) => job.uniqueKey !== null)) return this.enqueueAllOrNothing(jobs, manager);

    const results: Array<EnqueueResult | undefined> = new Array(jobs.length);
    let remaining = jobs.map((job, index) => ({ job, index }));
    for (let round = 1; remaining.length > 0; round += 1) {
      if (round > MAX_ENQUEUE_ROUNDS) throw this.enqueueRoundsExceeded(remaining.map(({ job }) => job));

      // PostgreSQL returns uuids in lower case whatever case the caller used.
      const inserted = new Set(
        (await this.backend.insertJobs(remaining.map(({ job }) => job), manager)).map(normaliseId),
      );
      const skipped = remaining.filter(({ job, index }) => {
        if (!inserted.has(normaliseId(job.id))) return true;
        results[index] = { id: job.id, inserted: true };
        return false;
      });
      if (skipped.length === 0) break;

      const keys = skipped.map(({ job }) => uniqueKeyOf(job));
      const holders = await this.backend.findLiveHolders([...new Set(keys)], manager);
      remaining = skipped.filter(({ job, index }) => {
        const holderId = holders.get(uniqueKeyOf(job));
        if (holderId === undefined) return true;
        results[index] = { id: holderId, inserted: false };
        return false;
      });
    }
    return results as EnqueueResult[];
  }

  private async enqueueAllOrNothing(jobs: NewJob[], manager?: EntityManager): Promise<EnqueueResult[]> {
    const keys = [...new Set(jobs.flatMap((job) => (job.uniqueKey === null ? [] : [job.uniqueKey])))];
    for (let round = 1; round <= MAX_ENQUEUE_ROUNDS; round += 1) {
      const ids = await this.backend.insertAllOrNothing(jobs, manager);
      if (ids !== null) return jobs.map((job) => ({ id: job.id, inserted: true }));

      const holders = await this.backend.findLiveHolders(keys, manager);
      const [key, holderId] = holders.entries().next().value ?? [];
      if (key !== undefined && holderId !== undefined) throw new DuplicateJobError(key, holderId);
    }
    throw this.enqueueRoundsExceeded(jobs.filter((job) => job.uniqueKey !== null));
  }

  async enqueueClaimed(job: NewJob, claim: ClaimAtInsert): Promise<{ result: EnqueueResult; claimed: Job | null }> {
    const row = await this.backend.insertClaimed(job, claim);
    if (row) return { result: { id: job.id, inserted: true }, claimed: row.status === JobStatus.Running ? mapJobRow(row) : null };
    // A live job has the unique key: the usual path finds it, or inserts pending if it just ended.
    const [result] = await this.enqueue([job]);
    return { result, claimed: null };
  }

  async claim(request: ClaimRequest): Promise<Job[]> {
    assertInteger('limit', request.limit, 0);
    if (request.limit === 0 || request.queues.length === 0) return [];
    const rows = await this.backend.claim(request);
    return rows.sort(compareClaimOrder).map((row) => mapJobRow(row));
  }

  async recordOutcomes(outcomes: JobOutcome[]): Promise<string[]> {
    if (outcomes.length === 0) return [];
    const seen = new Set<string>();
    for (const outcome of outcomes) {
      if (!JOB_OUTCOME_KINDS.has(outcome.kind)) {
        throw new InvalidOptionError('outcome.kind', outcome.kind, `must be one of ${[...JOB_OUTCOME_KINDS].join(', ')}`);
      }
      // With two outcomes for one job, the database would apply one of them, either one.
      const id = normaliseId(outcome.id);
      if (seen.has(id)) throw new InvalidOptionError('outcome.id', outcome.id, 'appears twice in one batch');
      seen.add(id);
    }
    return this.backend.recordOutcomes(outcomes);
  }

  heartbeat(workerId: string, lockMs: number, jobIds?: string[]): Promise<string[]> {
    return this.backend.heartbeat(workerId, lockMs, jobIds ?? null);
  }

  async reclaimStaleLocks(staleAgeMs: number, limit: number): Promise<ReclaimedJob[]> {
    assertInteger('limit', limit, 1);
    const rows = await this.backend.reclaimStaleLocks(staleAgeMs, limit);
    return rows.map((row) => ({
      id: row.id,
      type: row.type,
      queue: row.queue,
      attempt: Number(row.attempt),
      maxRetries: Number(row.max_retries),
      status: row.status === JobStatus.Failed ? JobStatus.Failed : JobStatus.Pending,
      lostWorker: row.lost_worker,
    }));
  }

  async loadCheckpoints(jobId: string): Promise<CheckpointRecord[]> {
    const rows = await this.backend.loadCheckpoints(jobId);
    return rows.map((row) => ({
      key: row.key,
      kind: row.kind as CheckpointRecord['kind'],
      name: row.name,
      sequence: row.sequence === null ? null : Number(row.sequence),
      outcome: row.outcome === 'error' ? 'error' : 'value',
      valueJson: row.value,
    }));
  }

  saveCheckpoint(token: ClaimToken, checkpoint: CheckpointRecord): Promise<boolean> {
    return this.backend.saveCheckpoint(token, checkpoint);
  }

  suspendForFanOut(token: ClaimToken, fanOut: NewFanOut, children: NewJob[]): Promise<boolean> {
    return this.backend.suspendForFanOut(token, fanOut, children);
  }

  async findFanOut(parentJobId: string, key: string): Promise<FanOutRecord | null> {
    const row = await this.backend.findFanOut(parentJobId, key);
    if (row === null) return null;
    return {
      id: row.id,
      parentJobId: row.parent_job_id,
      key: row.key,
      strategy: row.strategy as FanOutRecord['strategy'],
      threshold: row.threshold === null ? null : Number(row.threshold),
      total: Number(row.total),
      succeeded: Number(row.succeeded),
      failed: Number(row.failed),
      status: row.status as FanOutRecord['status'],
    };
  }

  async fanOutChildren(fanOutId: string): Promise<FanOutChild[]> {
    const rows = await this.backend.fanOutChildren(fanOutId);
    return rows.map((row) => ({
      jobId: row.id,
      index: Number(row.fan_out_index),
      status: row.status as JobStatus,
      resultJson: row.result,
      errorJson: row.last_error,
    }));
  }

  settleStalledFanOuts(staleAgeMs: number): Promise<number> {
    return this.backend.settleStalledFanOuts(staleAgeMs);
  }

  async pauseJob(id: string, mode: PauseMode): Promise<{ previousStatus: JobStatus; interruptedWorker: string | null }> {
    const allowed = mode === PauseMode.Aggressive ? [...GRACEFULLY_PAUSABLE, JobStatus.Running] : GRACEFULLY_PAUSABLE;
    const outcome = await this.backend.pauseJob(id, allowed);
    if (outcome === null) throw new JobNotFoundError(id);
    const previousStatus = outcome.previousStatus as JobStatus;
    if (!outcome.changed) throw new JobNotPausableError(id, previousStatus);
    return { previousStatus, interruptedWorker: previousStatus === JobStatus.Running ? outcome.lockedBy : null };
  }

  async resumeJob(id: string): Promise<JobStatus> {
    const outcome = await this.backend.resumeJob(id);
    if (outcome === null) throw new JobNotFoundError(id);
    if (outcome.status === null) throw new JobNotPausedError(id, outcome.previousStatus as JobStatus);
    return outcome.status as JobStatus;
  }

  async cancelJob(id: string): Promise<{ previousStatus: JobStatus; cancelledIds: string[] }> {
    const outcome = await this.backend.cancelJob(id);
    if (outcome.previousStatus === null) throw new JobNotFoundError(id);
    const root = normaliseId(id);
    if (!outcome.cancelledIds.some((cancelled) => normaliseId(cancelled) === root)) {
      const current = await this.getJob(id);
      throw new JobNotCancellableError(id, current?.status ?? (outcome.previousStatus as JobStatus));
    }
    return { previousStatus: outcome.previousStatus as JobStatus, cancelledIds: outcome.cancelledIds };
  }

  async lockStates(ids: string[]): Promise<Array<{ id: string; status: JobStatus; lockedBy: string | null; attempt: number }>> {
    if (ids.length === 0) return [];
    const rows = await this.backend.lockStates(ids);
    return rows.map((row) => ({ id: row.id, status: row.status as JobStatus, lockedBy: row.locked_by, attempt: Number(row.attempt) }));
  }

  async getPausedJobs(queue?: string): Promise<Job[]> {
    return (await this.backend.pausedJobs(queue ?? null)).map((row) => mapJobRow(row));
  }

  async pauseQueue(queue: string): Promise<void> {
    assertValidName('queue', queue);
    if (!(await this.backend.pauseQueue(queue))) throw new QueueAlreadyPausedError(queue);
  }

  async resumeQueue(queue: string): Promise<void> {
    assertValidName('queue', queue);
    if (!(await this.backend.resumeQueue(queue))) throw new QueueNotPausedError(queue);
  }

  getPausedQueues(): Promise<string[]> {
    return this.backend.pausedQueues();
  }

  listenForEnqueues(onQueues: (queues: string[] | null) => void): () => Promise<void> {
    let listener: { stop(): void | Promise<void> } | undefined;
    let stopped = false;
    // The driver's connection exists once the storage has connected, which may happen in the background.
    void this.whenReady().then((ready) => {
      if (!ready || stopped) return;
      const driver = this.dataSource.driver as unknown as { master: pg.Pool; databaseConnection: BetterSqlite3.Database };
      if (this.dialect === 'postgres') {
        const postgres = new PostgresEnqueueListener(driver.master, enqueueChannel(this.tables), onQueues);
        postgres.start();
        listener = postgres;
        return;
      }
      // SQLite does not report which queues another process filled, so every queue wakes.
      const sqlite = new SqliteChangeWatcher(driver.databaseConnection, () => onQueues(null));
      if (sqlite.start()) listener = sqlite;
    });
    const stop = async () => {
      stopped = true;
      this.listenerStops.delete(stop);
      await listener?.stop();
    };
    this.listenerStops.add(stop);
    return stop;
  }

  async getJob(id: string): Promise<Job | null> {
    const row = await this.backend.getJob(id);
    return row === null ? null : mapJobRow(row);
  }

  async listJobs(filter: JobFilter = {}): Promise<Job[]> {
    const limit = assertInteger('limit', filter.limit ?? DEFAULT_LIST_LIMIT, 1);
    const statuses = filter.status === undefined ? null : Array.isArray(filter.status) ? filter.status : [filter.status];
    const rows = await this.backend.listJobs({
      statuses,
      queue: filter.queue ?? null,
      type: filter.type ?? null,
      limit,
    });
    return rows.map((row) => mapJobRow(row));
  }

  async countByStatus(queue?: string): Promise<Record<JobStatus, number>> {
    const counts = Object.fromEntries(Object.values(JobStatus).map((status) => [status, 0])) as Record<
      JobStatus,
      number
    >;
    for (const { status, count } of await this.backend.countByStatus(queue ?? null)) {
      counts[status as JobStatus] = count;
    }
    return counts;
  }

  async close(): Promise<void> {
    // Calls already running keep the backend they started with. Later ones get StorageClosedError.
    this.closed = true;
    this.backend = closedBackend();
    // A listening connection is never returned to the pool, which would keep the pool from ending.
    await Promise.all([...this.listenerStops].map((stop) => stop()));
    await this.readiness?.close();
    this.stopListeningForPoolErrors?.();
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /** Waits until the storage is ready, then replaces the stand-in backend with the real one. */
  private async readyBackend(): Promise<StorageBackend> {
    await this.readiness?.waitUntilReady();
    if (this.closed) return closedBackend();
    if (!this.realBackend) {
      this.realBackend = this.createBackend();
      this.backend = this.realBackend;
    }
    return this.realBackend;
  }

  private createBackend(): StorageBackend {
    // Both drivers keep their native handle on these untyped fields in TypeORM 1.x.
    const driver = this.dataSource.driver as unknown as { master?: unknown; databaseConnection?: unknown };
    if (this.dialect === 'sqlite') {
      return new SqliteBackend(driver.databaseConnection as never, createSqliteStatements(this.tables));
    }
    const errors = new RateLimitedLogger(new Logger('DurableJobsStorage'));
    this.stopListeningForPoolErrors = listenForPoolErrors(driver.master as never, errors);
    return new PostgresBackend(driver.master as never, createPostgresStatements(this.tables), {
      preparedStatements: this.preparedStatements,
    });
  }

  /** Rejects a manager of another database type, which would fail on this dialect's SQL. */
  private assertSameDialect(manager: EntityManager): void {
    const type = manager.connection.options.type;
    if (dialectOfDriverType('manager', type) !== this.dialect) {
      throw new InvalidOptionError(
        'manager',
        type,
        `belongs to a ${type} DataSource, but the job storage runs on ${this.dialect}; pass a manager of the same database`,
      );
    }
  }

  private enqueueRoundsExceeded(jobs: NewJob[]): DurableJobsError {
    const keys = jobs.map((job) => `"${job.uniqueKey}"`).join(', ');
    return new DurableJobsError(
      `Enqueue failed for unique keys ${keys}: after ${MAX_ENQUEUE_ROUNDS} attempts each key was still held ` +
        'at insert time, but its holder had finished before its id could be read. Retry the enqueue.',
    );
  }
}

function normaliseId(id: string): string {
  return id.toLowerCase();
}

/** Only a unique key conflict makes the insert skip a row; any other conflict raises. */
function uniqueKeyOf(job: NewJob): string {
  if (job.uniqueKey === null) {
    throw new DurableJobsError(`Job ${job.id} has no unique key, yet the database did not insert it`);
  }
  return job.uniqueKey;
}

/** Stands in for the backend of a closed storage: every call rejects with StorageClosedError. */
function closedBackend(): StorageBackend {
  return deferMethods<StorageBackend>(async (method) => {
    throw new StorageClosedError(method);
  });
}
