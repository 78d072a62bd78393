import { Cron } from 'croner';
import { parseDuration } from '../common/duration.js';
import { InvalidScheduleError } from '../errors/invalid-schedule.error.js';
import type { ScheduleSpec, ScheduleTiming, Weekday } from './schedule-spec.js';

/** Maximum interval of every(); rarer runs are better written as cron expressions. */
export const MAX_INTERVAL_MS = 365 * 24 * 60 * 60 * 1000;

export const DEFAULT_TIMEZONE = 'UTC';

/**
 * Options for every croner instance. With `no-wildcard`, croner 11 treats an expression without
 * `*` or a step in its second, minute and hour fields as a fixed-time job, such as `30 2 * * *`
 * or `0 2,14 * * *`. A fixed-time job in a daylight-saving gap runs at the first valid time
 * after the gap, and at a local time that occurs twice it runs once, at the first occurrence.
 * Expressions with `*` or a step are interval jobs, which skip times in a gap and run on both
 * occurrences of a repeated time.
 */
const CRON_OPTIONS = { fixedTimeRule: 'no-wildcard' } as const;

/** A schedule's timing, ready to compute fire times. */
export interface CompiledTiming {
  readonly timing: ScheduleTiming;
  /**
   * Returns the first fire time strictly after `afterMs`, in epoch milliseconds, or null when
   * there is none. croner bounds its search at the year 9999, so this never runs unbounded.
   */
  next(afterMs: number): number | null;
}

/**
 * Checks a schedule given at registration and returns its compiled timing. Throws
 * InvalidScheduleError naming the schedule, the value and the fix, for an expression that
 * cannot be parsed, is out of range, or has no fire time after `nowMs`.
 */
export function resolveTiming(name: string, spec: ScheduleSpec | string, nowMs: number): CompiledTiming {
  const compiled = compileTiming(toTiming(name, spec));
  if (compiled.timing.kind === 'cron' && compiled.next(nowMs) === null) {
    throw new InvalidScheduleError(
      name,
      'cron expression',
      compiled.timing.expression,
      'can never fire: no time from now until the year 9999 matches it, as with a day its month never has ' +
        '(February 30) or a year that has passed; check the day-of-month, month and year fields',
    );
  }
  return compiled;
}

/** Compiles a timing that was checked when it was registered, such as one read from the database. */
export function compileTiming(timing: ScheduleTiming): CompiledTiming {
  if (timing.kind === 'every') {
    const interval = timing.intervalMs;
    return { timing, next: (afterMs) => (Math.floor(afterMs / interval) + 1) * interval };
  }
  const job = new Cron(timing.expression, { ...CRON_OPTIONS, timezone: timing.timezone });
  return {
    timing,
    next: (afterMs) => job.nextRun(new Date(afterMs))?.getTime() ?? null,
  };
}

function toTiming(name: string, spec: ScheduleSpec | string): ScheduleTiming {
  if (typeof spec === 'string') return cronTiming(name, spec, undefined);
  if (spec === null || typeof spec !== 'object') {
    throw new InvalidScheduleError(name, 'schedule', spec, "is not a schedule; pass every('5m'), daily(3, 0), weekly('mon', 9), cron('0 3 * * *') or a cron string");
  }
  switch (spec.kind) {
    case 'every':
      return { kind: 'every', intervalMs: intervalOf(name, spec.interval) };
    case 'daily':
      return cronTiming(name, `${minuteOf(name, spec.minute)} ${hourOf(name, spec.hour)} * * *`, spec.timezone);
    case 'weekly': {
      const fields = `${minuteOf(name, spec.minute)} ${hourOf(name, spec.hour)} * * ${weekdayOf(name, spec.weekday)}`;
      return cronTiming(name, fields, spec.timezone);
    }
    case 'cron':
      return cronTiming(name, spec.expression, spec.timezone);
  }
  throw new InvalidScheduleError(name, 'schedule kind', (spec as { kind?: unknown }).kind, 'is unknown; build the schedule with every(), daily(), weekly() or cron()');
}

function intervalOf(name: string, interval: unknown): number {
  let intervalMs: number;
  try {
    intervalMs = parseDuration(interval as never, 'interval');
  } catch {
    throw new InvalidScheduleError(name, 'interval', interval, "is not a duration; pass milliseconds or a string such as '30s', '5m' or '2h'");
  }
  if (intervalMs < 1 || intervalMs > MAX_INTERVAL_MS) {
    throw new InvalidScheduleError(
      name,
      'interval',
      interval,
      `must be from 1ms to 365 days (${MAX_INTERVAL_MS}ms); for rarer runs use a cron expression such as '0 0 1 1 *'`,
    );
  }
  return intervalMs;
}

function hourOf(name: string, hour: unknown): number {
  if (typeof hour !== 'number' || !Number.isInteger(hour) || hour < 0 || hour > 23) {
    throw new InvalidScheduleError(name, 'hour', hour, 'must be an integer from 0 to 23');
  }
  return hour;
}

function minuteOf(name: string, minute: unknown): number {
  if (typeof minute !== 'number' || !Number.isInteger(minute) || minute < 0 || minute > 59) {
    throw new InvalidScheduleError(name, 'minute', minute, 'must be an integer from 0 to 59');
  }
  return minute;
}

const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function weekdayOf(name: string, weekday: Weekday): number {
  if (typeof weekday === 'number' && Number.isInteger(weekday) && weekday >= 0 && weekday <= 7) return weekday % 7;
  if (typeof weekday === 'string') {
    const given = weekday.trim().toLowerCase();
    const index = WEEKDAY_NAMES.findIndex((day) => day === given || (given.length === 3 && day.startsWith(given)));
    if (index >= 0) return index;
  }
  throw new InvalidScheduleError(
    name,
    'weekday',
    weekday,
    "must be 0 to 7 (0 and 7 are Sunday) or an English day name such as 'monday' or 'mon'",
  );
}

function cronTiming(name: string, expression: unknown, timezone: unknown): ScheduleTiming {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new InvalidScheduleError(name, 'cron expression', expression, 'must be a non-empty string such as "0 3 * * *"');
  }
  // Extra spaces would make an unchanged expression look changed on the next registration.
  const normalised = expression.trim().split(/\s+/).join(' ');
  const zone = timezoneOf(name, timezone);
  let job: Cron;
  try {
    job = new Cron(normalised, { ...CRON_OPTIONS, timezone: zone });
  } catch (error) {
    throw new InvalidScheduleError(name, 'cron expression', normalised, explainCronError(error));
  }
  if (job.getOnce() !== null) {
    throw new InvalidScheduleError(
      name,
      'cron expression',
      normalised,
      'is a date, not a cron expression; enqueue a job with { at } for a single run',
    );
  }
  return { kind: 'cron', expression: normalised, timezone: zone };
}

function timezoneOf(name: string, timezone: unknown): string {
  if (timezone === undefined) return DEFAULT_TIMEZONE;
  if (typeof timezone === 'string' && timezone.trim() !== '') {
    try {
      // Intl accepts any letter case and returns the canonical IANA spelling.
      return new Intl.DateTimeFormat('en-US', { timeZone: timezone.trim() }).resolvedOptions().timeZone;
    } catch {
      // Reported below with the fix.
    }
  }
  throw new InvalidScheduleError(name, 'timezone', timezone, "is not an IANA timezone; use a name such as 'Europe/Berlin' or 'UTC'");
}

/** Turns croner's parse error into the fix, because its own wording names internal offsets. */
function explainCronError(error: unknown): string {
  const detail = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : String(error);
  if (/stepping|steps/i.test(detail)) {
    return (
      `has an invalid step (${detail}); a step */n must be at least 1 and no larger than its field's range, ` +
      'such as */15 in the minute field or */6 in the hour field'
    );
  }
  const range = /Invalid value for (\w+)/.exec(detail);
  if (range) {
    return (
      `has a value out of range in the ${FIELD_NAMES[range[1]] ?? range[1]} field; the ranges are second 0-59, ` +
      'minute 0-59, hour 0-23, day of month 1-31, month 1-12 and day of week 0-7'
    );
  }
  if (/space separated parts/.test(detail)) {
    return 'must have 5 fields (minute hour day-of-month month day-of-week), 6 with seconds in front, or 7 with a year at the end, such as "0 3 * * *"';
  }
  return `cannot be parsed (${detail}); write minute hour day-of-month month day-of-week, such as "0 3 * * *" for 03:00 every day`;
}

const FIELD_NAMES: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  day: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
  year: 'year',
};
