import { DurableJobsError } from './durable-jobs.error.js';

/** A live job (any non-terminal status) already has the unique key. */
export class DuplicateJobError extends DurableJobsError {
  constructor(
    readonly uniqueKey: string,
    readonly existingJobId: string,
  ) {
    super(
      `A job with unique key "${uniqueKey}" is already queued or running (id ${existingJobId}). ` +
        "Pass onDuplicate: 'return-existing' to receive that id instead of this error.",
    );
  }
}
