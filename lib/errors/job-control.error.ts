import type { JobStatus } from '../interfaces/job.interface.js';
import { DurableJobsError } from './durable-jobs.error.js';

export class JobNotFoundError extends DurableJobsError {
  constructor(readonly jobId: string) {
    super(`Job ${jobId} was not found; check the id, or whether the job was deleted`);
  }
}

/** The job is in a status that this pause mode cannot pause. */
export class JobNotPausableError extends DurableJobsError {
  constructor(
    readonly jobId: string,
    readonly status: JobStatus,
  ) {
    super(
      status === 'running'
        ? `Job ${jobId} is running, so a graceful pause cannot hold it; pass { mode: PauseMode.Aggressive } to stop it now`
        : `Job ${jobId} cannot be paused because it is ${status}; only pending, retrying, waiting and running jobs can be paused`,
    );
  }
}

export class JobNotPausedError extends DurableJobsError {
  constructor(
    readonly jobId: string,
    readonly status: JobStatus,
  ) {
    super(`Job ${jobId} cannot be resumed because it is ${status}, not paused`);
  }
}

/** The job had already finished, possibly a moment before the cancel arrived. */
export class JobNotCancellableError extends DurableJobsError {
  constructor(
    readonly jobId: string,
    readonly status: JobStatus,
  ) {
    super(`Job ${jobId} cannot be cancelled because it already ended with status ${status}`);
  }
}

export class QueueAlreadyPausedError extends DurableJobsError {
  constructor(readonly queue: string) {
    super(`Queue "${queue}" is already paused; call resumeQueue('${queue}') to resume it`);
  }
}

export class QueueNotPausedError extends DurableJobsError {
  constructor(readonly queue: string) {
    super(`Queue "${queue}" is not paused, so it cannot be resumed`);
  }
}

/** waitForPause() was called on a worker that is not paused, or its running jobs did not finish in time. */
export class WorkerPauseError extends DurableJobsError {}
