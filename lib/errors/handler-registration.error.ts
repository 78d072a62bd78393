import { DurableJobsError } from './durable-jobs.error.js';

/** A job handler cannot be registered; the application must not start without it. */
export class HandlerRegistrationError extends DurableJobsError {}
