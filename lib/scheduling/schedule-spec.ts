import type { Duration } from '../common/duration.js';

/**
 * When a schedule fires. Build one with every(), daily(), weekly() or cron(); a plain string
 * is read as a cron expression in UTC. The builders only record their arguments, and
 * registration checks them, so a bad `@Scheduled` fails the boot with a readable error instead of
 * failing the import of its module.
 */
export type ScheduleSpec = IntervalSpec | DailySpec | WeeklySpec | CronSpec;

export interface TimezoneOption {
  /** IANA timezone such as `'Europe/Berlin'`. Default `'UTC'`. */
  timezone?: string;
}

export interface IntervalSpec {
  readonly kind: 'every';
  readonly interval: Duration;
}

export interface DailySpec {
  readonly kind: 'daily';
  readonly hour: number;
  readonly minute: number;
  readonly timezone?: string;
}

export interface WeeklySpec {
  readonly kind: 'weekly';
  readonly weekday: Weekday;
  readonly hour: number;
  readonly minute: number;
  readonly timezone?: string;
}

export interface CronSpec {
  readonly kind: 'cron';
  readonly expression: string;
  readonly timezone?: string;
}

/** 0 to 7 as in cron, where 0 and 7 are Sunday, or an English day name such as `'monday'` or `'mon'`. */
export type Weekday = number | string;

/**
 * Fires at every whole multiple of `interval` since 1970-01-01T00:00Z, so `every('5m')` fires
 * at :00, :05, :10 and `every('1h')` on the hour, in every process alike. Takes milliseconds
 * or a string such as `'30s'`, `'5m'` or `'2h'`.
 */
export function every(interval: Duration): IntervalSpec {
  return { kind: 'every', interval };
}

/** Fires once a day at `hour:minute` local time in `timezone` (default UTC). */
export function daily(hour: number, minute = 0, options: TimezoneOption = {}): DailySpec {
  return { kind: 'daily', hour, minute, timezone: options.timezone };
}

/** Fires once a week on `weekday` at `hour:minute` local time in `timezone` (default UTC). */
export function weekly(weekday: Weekday, hour: number, minute = 0, options: TimezoneOption = {}): WeeklySpec {
  return { kind: 'weekly', weekday, hour, minute, timezone: options.timezone };
}

/**
 * Fires whenever the cron expression matches, read in `timezone` (default UTC). It has five
 * fields (minute hour day-of-month month day-of-week), six with seconds in front, or seven
 * with a year at the end. The constants of `CronExpression` from @nestjs/schedule work too.
 */
export function cron(expression: string, options: TimezoneOption = {}): CronSpec {
  return { kind: 'cron', expression, timezone: options.timezone };
}

/**
 * A schedule as stored: an interval in milliseconds, or a cron expression with its timezone.
 * daily() and weekly() are stored as the cron expressions they stand for.
 */
export type ScheduleTiming =
  | { readonly kind: 'every'; readonly intervalMs: number }
  | { readonly kind: 'cron'; readonly expression: string; readonly timezone: string };
