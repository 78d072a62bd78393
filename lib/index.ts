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
export { Scheduled } from './decorators/scheduled.decorator.js';

export {
  every,
  daily,
  weekly,
  cron,
  type ScheduleSpec,
  type IntervalSpec,
  type DailySpec,
  type WeeklySpec,
  type CronSpec,
  type Weekday,
  type TimezoneOption,
  type ScheduleTiming,
} from './scheduling/schedule-spec.js';
export type {
  ScheduleOptions,
  ScheduledOptions,
  ScheduleInfo,
  ScheduleRegistration,
} from './scheduling/schedule-options.interface.js';
export { systemClock, MAX_TIMER_DELAY_MS, type ScheduleClock } from './scheduling/schedule-clock.js';
export { MAX_COUNTED_MISSED_TICKS } from './scheduling/catch-up.js';
export { MAX_INTERVAL_MS } from './scheduling/schedule-timing.js';
export { DEFAULT_SCHEDULER_POLL_INTERVAL_MS } from './scheduling/scheduler-options.js';

export * from './events/job-events.js';
export * from './events/schedule-events.js';
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

export { PauseMode } from './control/pause-mode.js';
export type { PauseJobOptions } from './control/job-control.js';
export {
  pauseJob,
  resumeJob,
  isJobPaused,
  getPausedJobs,
  pauseQueue,
  resumeQueue,
  isQueuePaused,
  getPausedQueues,
} from './control/job-control.functions.js';
export * from './events/control-events.js';
