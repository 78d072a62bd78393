import { DurableJobsError } from './durable-jobs.error.js';

/** A worker claimed a job whose type has no handler in this process. */
export class UnknownJobTypeError extends DurableJobsError {
  constructor(
    readonly jobType: string,
    readonly workerId: string,
  ) {
    super(
      `No handler for job type "${jobType}" on worker ${workerId}. Register it with ` +
        `@JobHandler('${jobType}') or queue.register('${jobType}', fn), or keep this worker off its queue.`,
    );
  }
}
