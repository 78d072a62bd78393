import type { EntityManager } from 'typeorm';
import type { BackoffPolicy, Job, JobStatus } from '../interfaces/job.interface.js';

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
}

/** Result of inserting one job: its id, or the id of the live job that holds its unique key. */
export interface EnqueueResult {
  id: string;
  inserted: boolean;
}

/** Identifies one claimed run of a job. Every write that ends a claim is fenced on it. */
export interface ClaimToken {
  id: string;
  workerId: string;
  attempt: number;
}

/** What a worker records when a run ends. */
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

  /** Creates or upgrades the schema; safe when several processes call it at once. */
  migrate(): Promise<void>;

  /**
   * Inserts jobs in one statement. A job whose unique key is held by a live job is not
   * inserted; its result carries the holder's id. With `allOrNothing`, a held key rolls the
   * whole batch back and throws DuplicateJobError instead. With a manager, the insert joins
   * the caller's transaction.
   */
  enqueue(jobs: NewJob[], manager?: EntityManager, options?: { allOrNothing?: boolean }): Promise<EnqueueResult[]>;

  /** Claims up to `limit` runnable jobs, highest priority first, then run time, then insertion order. */
  claim(request: ClaimRequest): Promise<Job[]>;

  /** Writes outcomes fenced on id, lock owner, attempt and status running; returns the ids written. */
  recordOutcomes(outcomes: JobOutcome[]): Promise<string[]>;

  /** Extends the locks of every job the worker runs; returns the ids still held. */
  heartbeat(workerId: string, lockMs: number): Promise<string[]>;

  /**
   * Returns up to `limit` running jobs whose lock expired more than `staleAgeMs` ago to
   * pending, whatever their type, or fails those whose lost attempt was their last. The lost
   * attempt stays counted. Returns what was reclaimed.
   */
  reclaimStaleLocks(staleAgeMs: number, limit: number): Promise<ReclaimedJob[]>;

  getJob(id: string): Promise<Job | null>;
  listJobs(filter?: JobFilter): Promise<Job[]>;
  countByStatus(queue?: string): Promise<Record<JobStatus, number>>;

  /** Releases connections the storage opened itself; a DataSource passed in by the caller stays open. */
  close(): Promise<void>;
}
