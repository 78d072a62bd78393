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
import type { JobRow } from './row-mapper.js';

export interface LockStateRow {
  id: string;
  status: string;
  locked_by: string | null;
  attempt: number;
}

export interface CheckpointRow {
  key: string;
  kind: string;
  name: string;
  sequence: number | null;
  outcome: string;
  value: string | null;
}

export interface FanOutRow {
  id: string;
  parent_job_id: string;
  key: string;
  strategy: string;
  threshold: number | null;
  total: number | string;
  succeeded: number | string;
  failed: number | string;
  status: string;
}

export interface FanOutChildRow {
  id: string;
  fan_out_index: number;
  status: string;
  result: string | null;
  last_error: string | null;
}

/** Sub-jobs inserted per statement when a fan-out suspends, to bound statement size. */
export const FAN_OUT_INSERT_BATCH = 5_000;

/** A job returned to pending or failed by reclaimStaleLocks. */
export interface ReclaimedRow {
  id: string;
  type: string;
  queue: string;
  attempt: number;
  max_retries: number;
  status: string;
  lost_worker: string | null;
}

/** Normalised arguments of listJobs; null means "not filtered". */
export interface JobQuery {
  statuses: string[] | null;
  queue: string | null;
  type: string | null;
  limit: number;
}

/**
 * Runs the statements of one dialect on its driver. Each method is one SQL statement; the
 * storage adds the logic that both dialects share. A manager, when given, runs the statement
 * in the caller's transaction.
 */
export interface StorageBackend {
  /** Returns the ids of the rows inserted; rows whose unique key is held are skipped. */
  insertJobs(jobs: NewJob[], manager?: EntityManager): Promise<string[]>;
  /**
   * Inserts every job or none: returns the inserted ids, or null when a unique key was held
   * and the insert was rolled back.
   */
  insertAllOrNothing(jobs: NewJob[], manager?: EntityManager): Promise<string[] | null>;
  /** Returns the id of the live job holding each key, keyed by unique key. */
  findLiveHolders(uniqueKeys: string[], manager?: EntityManager): Promise<Map<string, string>>;
  /** Returns the inserted row, running or pending, or null when a live job has its unique key. */
  insertClaimed(job: NewJob, claim: ClaimAtInsert): Promise<JobRow | null>;
  claim(request: ClaimRequest): Promise<JobRow[]>;
  recordOutcomes(outcomes: JobOutcome[]): Promise<string[]>;
  /** `jobIds` null extends every lock of the worker. */
  heartbeat(workerId: string, lockMs: number, jobIds: string[] | null): Promise<string[]>;
  reclaimStaleLocks(staleAgeMs: number, limit: number): Promise<ReclaimedRow[]>;
  loadCheckpoints(jobId: string): Promise<CheckpointRow[]>;
  saveCheckpoint(token: ClaimToken, checkpoint: CheckpointRecord): Promise<boolean>;
  suspendForFanOut(token: ClaimToken, fanOut: NewFanOut, children: NewJob[]): Promise<boolean>;
  findFanOut(parentJobId: string, key: string): Promise<FanOutRow | null>;
  fanOutChildren(fanOutId: string): Promise<FanOutChildRow[]>;
  settleStalledFanOuts(staleAgeMs: number): Promise<number>;
  /** Returns null when the job does not exist; `changed` is false when its status may not be paused. */
  pauseJob(id: string, allowedStatuses: string[]): Promise<{ previousStatus: string; lockedBy: string | null; changed: boolean } | null>;
  /** Returns null when the job does not exist; `status` is null when it was not paused. */
  resumeJob(id: string): Promise<{ previousStatus: string; status: string | null } | null>;
  /** `previousStatus` is null when the job does not exist. */
  cancelJob(id: string): Promise<{ previousStatus: string | null; cancelledIds: string[] }>;
  lockStates(ids: string[]): Promise<LockStateRow[]>;
  /** False when the queue was paused already. */
  pauseQueue(queue: string): Promise<boolean>;
  /** False when the queue was not paused. */
  resumeQueue(queue: string): Promise<boolean>;
  pausedQueues(): Promise<string[]>;
  pausedJobs(queue: string | null): Promise<JobRow[]>;
  getJob(id: string): Promise<JobRow | null>;
  listJobs(query: JobQuery): Promise<JobRow[]>;
  countByStatus(queue: string | null): Promise<Array<{ status: string; count: number }>>;
}
