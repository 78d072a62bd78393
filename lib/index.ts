export * from './durable-jobs.module.js';
export { MODULE_OPTIONS_TOKEN as DURABLE_JOBS_MODULE_OPTIONS } from './durable-jobs.module-definition.js';
export type { DurableJobsModuleExtras } from './durable-jobs.module-definition.js';
export { JOB_STORAGE, DEFAULT_QUEUE, DEFAULT_RETRIES } from './durable-jobs.constants.js';

export * from './interfaces/job.interface.js';
export * from './interfaces/durable-jobs-options.interface.js';
export * from './interfaces/enqueue-options.interface.js';
export * from './interfaces/handler-options.interface.js';
export * from './interfaces/worker-options.interface.js';

export * from './errors/index.js';
export { retryAfter } from './queue/retry-after.js';
export { parseDuration, type Duration } from './common/duration.js';
export { DEFAULT_BACKOFF, computeBackoff, type BackoffOptions } from './common/backoff.js';
export { defaultRetryConfig, type RetryConfig } from './common/retry-config.js';

export { JobHandler } from './decorators/job-handler.decorator.js';
export { OnJobEvent } from './decorators/on-job-event.decorator.js';

export * from './events/job-events.js';
export { ofKind } from './events/of-kind.operator.js';
export type { Disposer, JobHook, JobFailHook, JobRetryHook } from './events/job-event-bus.js';

export { JobQueue } from './queue/job-queue.js';
export { JobContext } from './queue/job-context.js';
export { jobFromContext, jobIdFromContext } from './queue/job-context.storage.js';
export { Worker } from './worker/worker.js';

export * from './storage/index.js';

export { call, step, savePhaseCheckpoint, loadPhaseCheckpoint, fanOut } from './durable/durable.functions.js';
export {
  sub,
  failFast,
  collectAll,
  threshold,
  fanOutQueue,
  fanOutRetries,
  fanOutTimeout,
  cancelOnParentFailure,
  type SubJob,
  type SubOptions,
  type FanOutOption,
} from './durable/fan-out.options.js';
export {
  values,
  partition,
  allSucceeded,
  successCount,
  SubJobError,
  type FanOutResult,
} from './durable/fan-out-result.js';
