import type { Job } from '../interfaces/job.interface.js';
import type { RunAbort } from './run-abort.js';

/**
 * Why a run was stopped from outside its handler. `shutdown`, `worker-paused` and `expired`
 * return the job to pending; `expired` means a prefetched job waited too long for a slot.
 * After `lock-lost`, `cancelled` and `job-paused` the database already has the job's next
 * state, so the worker writes nothing.
 */
export type AbortReason = 'shutdown' | 'worker-paused' | 'expired' | 'lock-lost' | 'cancelled' | 'job-paused';

/** Reasons after which the worker returns the job to pending. */
export function releasesJob(reason: AbortReason | null): boolean {
  return reason === 'shutdown' || reason === 'worker-paused' || reason === 'expired';
}

/** A job a worker is running. */
export interface RunningJob {
  job: Job;
  queue: string;
  abort: RunAbort;
  abortReason: AbortReason | null;
  /** Set while the outcome is being written, so a lock check does not mistake it for a lost lock. */
  finishing: boolean;
  done: Promise<void>;
  /** Place in the worker's RunningJobs, or -1 outside it. */
  position: number;
}

const ABORT_MESSAGES: Record<AbortReason, string> = {
  shutdown: 'the worker is shutting down',
  'worker-paused': 'the worker was paused',
  expired: 'the prefetched job waited too long for a free slot',
  'lock-lost': 'the job lock was lost',
  cancelled: 'the job was cancelled',
  'job-paused': 'the job was paused aggressively',
};

/** Aborts a run's signal once, recording why. */
export function abortRun(entry: RunningJob, reason: AbortReason): void {
  if (entry.abort.aborted) return;
  entry.abortReason = reason;
  entry.abort.abort(new Error(ABORT_MESSAGES[reason]));
}
