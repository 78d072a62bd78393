import { DurableJobsError } from './durable-jobs.error.js';

/** A durable helper was called outside a job handler's async call chain. */
export class NotInJobContextError extends DurableJobsError {
  constructor(helper: string) {
    super(
      `${helper}() was called outside a job handler. Call it inside a @JobHandler method or a function ` +
        'registered with queue.register(), or use the ctx argument of the handler.',
    );
  }
}
