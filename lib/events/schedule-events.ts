import { JobEvent } from './job-events.js';

/** A schedule fired a tick: this process claimed it and enqueued its job. */
export class ScheduleFired extends JobEvent {
  readonly kind = 'schedule.fired';
  constructor(
    readonly name: string,
    /** The job the tick enqueued. */
    readonly jobId: string,
    /** The tick's time, which may lie in the past after downtime; also stored on the job as `scheduled_at`. */
    readonly scheduledAt: Date,
    readonly type: string,
    readonly queue: string,
    /** Next tick; null when the schedule has no later fire time. */
    readonly nextRunAt: Date | null,
  ) {
    super();
  }
}

/**
 * A schedule was overdue by more than one tick, after downtime or while no scheduler ran. Its
 * oldest due tick fired once (the job `jobId`), and `missed` later ticks were skipped.
 */
export class ScheduleTicksMissed extends JobEvent {
  readonly kind = 'schedule.ticks-missed';
  constructor(
    readonly name: string,
    /** The job of the single run that replaces the overdue ticks. */
    readonly jobId: string,
    /** The tick that fired. */
    readonly scheduledAt: Date,
    /** Ticks skipped after it, all due by the time it fired. */
    readonly missed: number,
    /** True when counting stopped at MAX_COUNTED_MISSED_TICKS, so at least `missed` ticks were skipped. */
    readonly capped: boolean,
    /** The first tick after the catch-up, or null. */
    readonly nextRunAt: Date | null,
  ) {
    super();
  }
}
