import type { BackoffOptions } from '../common/backoff.js';
import type { BackoffPolicy } from '../interfaces/job.interface.js';
import type { ScheduleUpsertOutcome } from '../storage/schedule-storage.interface.js';
import type { ScheduleTiming } from './schedule-spec.js';

/** Options of `queue.schedule(name, schedule, options)`; they reach every job the schedule enqueues. */
export interface ScheduleOptions<TArgs = unknown> {
  /**
   * Job type the schedule enqueues. Default: the schedule's name. Its handler is registered on
   * its own, with @JobHandler or queue.register(), in the processes that run its queue.
   */
  type?: string;
  /** Args of every job. Default `{}`. Validated at registration against the handler's DTO, if this process has the handler. */
  args?: TArgs;
  /** Queue of every job. Default: the handler's queue, else `'default'`. */
  queue?: string;
  /** Retries after the first run. Default: the handler's, else 3. */
  retries?: number;
  /** Priority of every job; higher runs first. Default: the handler's, else 0. */
  priority?: number;
  /** Backoff between retries; fields left out come from the handler. */
  backoff?: BackoffOptions;
}

/**
 * Options of `@Scheduled(schedule, options)`. The method becomes the handler of the job type
 * the schedule enqueues, with these queue, retries, priority and backoff settings.
 */
export interface ScheduledOptions<TArgs = unknown> extends Omit<ScheduleOptions<TArgs>, 'type'> {
  /**
   * Name of the schedule and job type of its jobs. Default: `ClassName.method`. When the method
   * also carries @JobHandler, the jobs take that handler's type and this stays the schedule's name.
   */
  name?: string;
}

/** A stored schedule, as listSchedules() and getSchedule() return it. */
export interface ScheduleInfo<TArgs = unknown> {
  name: string;
  /** An interval in milliseconds, or a cron expression with its timezone; daily() and weekly() appear as cron. */
  timing: ScheduleTiming;
  type: string;
  queue: string;
  args: TArgs;
  priority: number;
  /** Retries of each job after its first run. */
  retries: number;
  backoff: BackoffPolicy | null;
  paused: boolean;
  /** Next tick; null when a cron expression has no later fire time. */
  nextRunAt: Date | null;
  /** Time of the last tick that fired. */
  lastRunAt: Date | null;
  lastJobId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Result of `queue.schedule()`: the schedule was created, its definition updated, or found unchanged. */
export interface ScheduleRegistration<TArgs = unknown> {
  outcome: ScheduleUpsertOutcome;
  schedule: ScheduleInfo<TArgs>;
}
