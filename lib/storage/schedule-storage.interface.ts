import type { BackoffPolicy } from '../interfaces/job.interface.js';
import type { ScheduleTiming } from '../scheduling/schedule-spec.js';

/**
 * The job a schedule enqueues on every tick, resolved and validated at registration. It is
 * stored with the schedule, so any process can fire the schedule, even one without the handler.
 */
export interface ScheduledJobTemplate {
  type: string;
  queue: string;
  argsJson: string;
  priority: number;
  maxRetries: number;
  backoff: BackoffPolicy | null;
}

/** A schedule to register: its name, its timing and the job it enqueues. */
export interface ScheduleDefinition {
  name: string;
  timing: ScheduleTiming;
  job: ScheduledJobTemplate;
}

/** A row of `<prefix>schedules`. */
export interface StoredSchedule extends ScheduleDefinition {
  paused: boolean;
  /** Next tick; null when the cron expression has no later fire time. */
  nextRunAt: Date | null;
  /** Scheduled time of the last tick that fired. */
  lastRunAt: Date | null;
  lastJobId: string | null;
  /** Raised by every change of the definition, so that a tick planned on an older one is not fired. */
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export type ScheduleUpsertOutcome = 'created' | 'updated' | 'unchanged';

/** One tick to claim and enqueue. */
export interface ScheduleFiring {
  name: string;
  /** Revision and next run time the tick was planned on; the claim fails if either changed. */
  revision: number;
  expectedNextRunAt: Date;
  /** The tick after this one; null ends the schedule. */
  nextRunAt: Date | null;
  /** The tick being fired, recorded on the job as `scheduled_at`. */
  scheduledAt: Date;
  jobId: string;
  job: ScheduledJobTemplate;
}

/**
 * Storage of schedules, in the same database as the jobs. Every method is safe when several
 * processes call it at once.
 */
export interface ScheduleStorage {
  /**
   * Inserts the schedule, or updates the stored one of the same name if its definition
   * differs. `firstRunAt` becomes the next run time of a new schedule and of one whose timing
   * changed. A change of the job alone keeps the stored next run time, and the paused state
   * is never changed.
   */
  upsert(definition: ScheduleDefinition, firstRunAt: Date | null): Promise<{ outcome: ScheduleUpsertOutcome; schedule: StoredSchedule }>;

  get(name: string): Promise<StoredSchedule | null>;

  /** Every schedule, ordered by name. */
  list(): Promise<StoredSchedule[]>;

  /** Up to `limit` schedules that are not paused and have a next run, earliest first. */
  upcoming(limit: number): Promise<StoredSchedule[]>;

  /** Pauses the schedule; false when no schedule has this name. */
  pause(name: string): Promise<boolean>;

  /** Unpauses a paused schedule with a new next run time; false when none of this name is paused. */
  resume(name: string, nextRunAt: Date | null): Promise<boolean>;

  /** Deletes the schedule; jobs it enqueued stay. False when no schedule has this name. */
  remove(name: string): Promise<boolean>;

  /**
   * In one transaction, moves the schedule's next run time from `expectedNextRunAt` to
   * `nextRunAt` (a compare-and-set that also requires the revision and an unpaused schedule)
   * and inserts the tick's job. Returns false, with nothing written, when another process
   * fired the tick first or the schedule changed.
   */
  fire(firing: ScheduleFiring): Promise<boolean>;
}
