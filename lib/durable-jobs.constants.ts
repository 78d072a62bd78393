/** Injection token of the JobStorage port. */
export const JOB_STORAGE = Symbol('DurableJobs:JobStorage');

/** Metadata key set by @JobHandler on a method. */
export const JOB_HANDLER_METADATA = 'durable-jobs:job-handler';

/** Metadata key set by @OnJobEvent on a method. */
export const JOB_EVENT_LISTENER_METADATA = 'durable-jobs:job-event-listener';

export const DEFAULT_QUEUE = 'default';
export const DEFAULT_RETRIES = 3;
