import type { EntityManager } from 'typeorm';
import type { PauseMode } from '../control/pause-mode.js';
import type { BackoffPolicy, Job, JobStatus } from '../interfaces/job.interface.js';
import type { ScheduleStorage } from './schedule-storage.interface.js';

/** A validated job ready to insert. Payloads are already encoded as JSON text. */
export interface NewJob {
  id: string;
  type: string;
  queue: string;
  argsJson: string;
  priority: number;
  maxRetries: number;
  uniqueKey: string | null;
  backoff: BackoffPolicy | null;
  /** Absolute run time, or null for "now" on the database clock. */
  runAt: Date | null;
  /** Delay added to the database clock when runAt is null. */
  delayMs: number;
  /** Set on the sub-jobs of a fan-out: the parent, the fan-out and the position in it. */
  parentJobId?: string | null;
  fanOutId?: string | null;
  fanOutIndex?: number | null;
}

/** The result of inserting one job: its id, or the id of the live job that has its unique key. */
export interface EnqueueResult {
  id: string;
  inserted: boolean;
}

/** The worker of this process that takes a job in the statement that inserts it. */
export interface ClaimAtInsert {
  workerId: string;
  lockMs: number;
}

/** Identifies one claimed run of a job. Every write that ends a claim is fenced on it. */
export interface ClaimToken {
  id: string;
  workerId: string;
  attempt: number;
}

/** The outcome a worker records when a run ends. */
export type JobOutcome = ClaimToken &
  (
    | { kind: 'completed'; resultJson: string }
    | { kind: 'failed'; errorJson: string }
    | { kind: 'retrying'; errorJson: string; delayMs: number }
    /** Returned to pending without using up the attempt (shutdown or pause). */
    | { kind: 'released' }
  );

/** A job whose worker was lost, as returned by reclaimStaleLocks. */
export interface ReclaimedJob {
  id: string;
  type: string;
  queue: string;
  /** The attempt that was lost; it counts as used. */
  attempt: number;
  maxRetries: number;
  /** `pending` when retries remain, else `failed`. */
  status: JobStatus.Pending | JobStatus.Failed;
  /** Worker id that held the expired lock. */
  lostWorker: string | null;
}

export type CheckpointKind = 'call' | 'step' | 'phase';

/** A stored result of a durable call, step or phase of one job. */
export interface CheckpointRecord {
  /** Unique per job: `call:<name>#<occurrence>`, `step:<name>#<occurrence>` or `phase:<name>`. */
  key: string;
  kind: CheckpointKind;
  name: string;
  /** Position among the job's calls and steps, to detect a run that calls them in another order; null for phases. */
  sequence: number | null;
  /** `value` for a result, `error` for a permanent error that replays as such. */
  outcome: 'value' | 'error';
  valueJson: string | null;
}

export type FanOutStrategyName = 'fail_fast' | 'collect_all' | 'threshold';
export type FanOutStatus = 'pending' | 'succeeded' | 'failed' | 'timed_out';

/** A fan-out to record when its parent suspends. */
export interface NewFanOut {
  id: string;
  parentJobId: string;
  /** `fanout#<occurrence>` within the parent's run. */
  key: string;
  strategy: FanOutStrategyName;
  /** Share of sub-jobs that must succeed, 0 to 1, for the threshold strategy. */
  threshold: number | null;
  total: number;
  cancelOnParentFailure: boolean;
  timeoutMs: number | null;
}

export interface FanOutRecord {
  id: string;
  parentJobId: string;
  key: string;
  strategy: FanOutStrategyName;
  threshold: number | null;
  total: number;
  succeeded: number;
  failed: number;
  status: FanOutStatus;
}

/** A sub-job of a fan-out as its parent reads it back. */
export interface FanOutChild {
  jobId: string;
  index: number;
  status: JobStatus;
  resultJson: string | null;
  errorJson: string | null;
}

export interface ClaimRequest {
  workerId: string;
  queues: string[];
  limit: number;
  lockMs: number;
}

export interface JobFilter {
  status?: JobStatus | JobStatus[];
  queue?: string;
  type?: string;
  limit?: number;
}

/**
 * The storage port. TypeOrmJobStorage implements it for PostgreSQL and SQLite; the hot paths
 * (enqueue, claim, recordOutcomes, heartbeat) are single statements per call.
 */
export interface JobStorage {
  readonly dialect: 'postgres' | 'sqlite';

  /** Schedules, stored in `<prefix>schedules` in the same database. */
  readonly schedules: ScheduleStorage;

  /** Creates or upgrades the schema; safe when several processes call it at once. */
  migrate(): Promise<void>;

  /**
   * Resolves true once the storage has connected and migrated, or false when `signal` aborts
   * or the storage closes first. Absent on a storage that is ready when created.
   */
  whenReady?(signal?: AbortSignal): Promise<boolean>;

  /**
   * Inserts jobs in one statement. A job whose unique key is held by a live job is not
   * inserted; its result carries the holder's id. With `allOrNothing`, a held key rolls the
   * whole batch back and throws DuplicateJobError instead. With a manager, the insert joins
   * the caller's transaction.
   */
  enqueue(jobs: NewJob[], manager?: EntityManager, options?: { allOrNothing?: boolean }): Promise<EnqueueResult[]>;

  /**
   * Inserts one job that is due now, already claimed by `claim.workerId` with attempt 1, in
   * one statement. `claimed` is the job to run, or null when the job was inserted pending
   * because its queue is paused, or not inserted because a live job has its unique key.
   */
  enqueueClaimed(job: NewJob, claim: ClaimAtInsert): Promise<{ result: EnqueueResult; claimed: Job | null }>;

  /** Claims up to `limit` runnable jobs, highest priority first, then run time, then insertion order. */
  claim(request: ClaimRequest): Promise<Job[]>;

  /** Writes outcomes fenced on id, lock owner, attempt and status running; returns the ids written. */
  recordOutcomes(outcomes: JobOutcome[]): Promise<string[]>;

  /**
   * Extends the locks the worker holds on running jobs, only those in `jobIds` when given,
   * and returns the ids still held. A worker passes the jobs it still runs, so that the lock
   * of a job whose outcome it could not write expires and the job is reclaimed.
   */
  heartbeat(workerId: string, lockMs: number, jobIds?: string[]): Promise<string[]>;

  /**
   * Returns up to `limit` running jobs whose lock expired more than `staleAgeMs` ago to
   * pending, whatever their type, or fails those whose lost attempt was their last. The lost
   * attempt stays counted. Returns what was reclaimed.
   */
  reclaimStaleLocks(staleAgeMs: number, limit: number): Promise<ReclaimedJob[]>;

  /** Returns every checkpoint of a job. */
  loadCheckpoints(jobId: string): Promise<CheckpointRecord[]>;

  /** Stores or replaces a checkpoint, fenced on the claim; false when the lock was lost. */
  saveCheckpoint(token: ClaimToken, checkpoint: CheckpointRecord): Promise<boolean>;

  /**
   * In one transaction: moves the parent to waiting (fenced on its claim), records the
   * fan-out and inserts its sub-jobs. False, with nothing written, when the lock was lost.
   */
  suspendForFanOut(token: ClaimToken, fanOut: NewFanOut, children: NewJob[]): Promise<boolean>;

  findFanOut(parentJobId: string, key: string): Promise<FanOutRecord | null>;

  /** Returns the sub-jobs of a fan-out in the order of their subs. */
  fanOutChildren(fanOutId: string): Promise<FanOutChild[]>;

  /**
   * Decides fan-outs that cannot progress by themselves: expired timeouts, and sub-jobs
   * deleted from fan-outs older than `staleAgeMs`. Returns how many were decided.
   */
  settleStalledFanOuts(staleAgeMs: number): Promise<number>;

  /**
   * Pauses a job. Graceful pauses a pending, retrying or waiting job. Aggressive also pauses
   * a running one, giving back its attempt and clearing its lock, so its worker aborts it.
   * Throws JobNotFoundError or JobNotPausableError.
   */
  pauseJob(id: string, mode: PauseMode): Promise<{ previousStatus: JobStatus; interruptedWorker: string | null }>;

  /** Returns a paused job to the status it had; throws JobNotFoundError or JobNotPausedError. */
  resumeJob(id: string): Promise<JobStatus>;

  /**
   * Cancels a live job wherever it runs, with every live descendant of its fan-outs.
   * Throws JobNotFoundError, or JobNotCancellableError when the job already ended.
   */
  cancelJob(id: string): Promise<{ previousStatus: JobStatus; cancelledIds: string[] }>;

  /** Returns the status, lock owner and attempt of each job that exists. */
  lockStates(ids: string[]): Promise<Array<{ id: string; status: JobStatus; lockedBy: string | null; attempt: number }>>;

  getPausedJobs(queue?: string): Promise<Job[]>;

  /** Throws QueueAlreadyPausedError when the queue is paused already. */
  pauseQueue(queue: string): Promise<void>;

  /** Throws QueueNotPausedError when the queue is not paused. */
  resumeQueue(queue: string): Promise<void>;

  getPausedQueues(): Promise<string[]>;

  /**
   * Calls `onQueues` with the queues of jobs enqueued by any process, as they commit, or
   * with null when some may have been missed. Returns a function that stops listening. On
   * SQLite every commit of another connection to the file calls it with null.
   */
  listenForEnqueues(onQueues: (queues: string[] | null) => void): () => Promise<void>;

  getJob(id: string): Promise<Job | null>;
  listJobs(filter?: JobFilter): Promise<Job[]>;
  countByStatus(queue?: string): Promise<Record<JobStatus, number>>;

  /** Releases connections the storage opened itself; a DataSource passed in by the caller stays open. */
  close(): Promise<void>;
}
