import type { EntityManager } from 'typeorm';
import type { ClaimRequest, JobOutcome, NewJob } from '../job-storage.interface.js';
import type { JobRow } from './row-mapper.js';

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
  claim(request: ClaimRequest): Promise<JobRow[]>;
  recordOutcomes(outcomes: JobOutcome[]): Promise<string[]>;
  heartbeat(workerId: string, lockMs: number): Promise<string[]>;
  reclaimStaleLocks(staleAgeMs: number, limit: number): Promise<ReclaimedRow[]>;
  getJob(id: string): Promise<JobRow | null>;
  listJobs(query: JobQuery): Promise<JobRow[]>;
  countByStatus(queue: string | null): Promise<Array<{ status: string; count: number }>>;
}
