import { CronExpression } from '@nestjs/schedule';
import { InvalidOptionError, InvalidScheduleError, cron, daily, every, weekly } from '../../lib/index.js';
import { MAX_COUNTED_MISSED_TICKS, planCatchUp } from '../../lib/scheduling/catch-up.js';
import { resolveTiming } from '../../lib/scheduling/schedule-timing.js';
import { resolveSchedulerOptions } from '../../lib/scheduling/scheduler-options.js';
import { sleepDelayMs } from '../../lib/scheduling/scheduler.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function nextTimes(spec: Parameters<typeof resolveTiming>[1], from: string, count: number): string[] {
  const compiled = resolveTiming('test', spec, Date.parse(from));
  const times: string[] = [];
  let after = Date.parse(from);
  for (let index = 0; index < count; index += 1) {
    const next = compiled.next(after);
    if (next === null) break;
    times.push(new Date(next).toISOString());
    after = next;
  }
  return times;
}

function rejection(spec: Parameters<typeof resolveTiming>[1]): Error {
  try {
    resolveTiming('nightly', spec, NOW);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`schedule ${JSON.stringify(spec)} was accepted`);
}

describe('schedule timing', () => {
  it('aligns every() to multiples since the epoch', () => {
    expect(nextTimes(every('5m'), '2026-01-01T10:03:27.500Z', 3)).toEqual([
      '2026-01-01T10:05:00.000Z',
      '2026-01-01T10:10:00.000Z',
      '2026-01-01T10:15:00.000Z',
    ]);
    expect(nextTimes(every(250), '2026-01-01T10:00:00.000Z', 2)).toEqual([
      '2026-01-01T10:00:00.250Z',
      '2026-01-01T10:00:00.500Z',
    ]);
  });

  it('reads daily() and weekly() in UTC by default', () => {
    expect(resolveTiming('d', daily(3, 15), NOW).timing).toEqual({ kind: 'cron', expression: '15 3 * * *', timezone: 'UTC' });
    expect(nextTimes(weekly('mon', 9), '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-05T09:00:00.000Z',
      '2026-01-12T09:00:00.000Z',
    ]);
    expect(resolveTiming('w', weekly(7, 0, 30), NOW).timing).toEqual({ kind: 'cron', expression: '30 0 * * 0', timezone: 'UTC' });
  });

  it('reads daily() in its timezone', () => {
    expect(nextTimes(daily(9, 0, { timezone: 'america/new_york' }), '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T14:00:00.000Z']);
    expect(resolveTiming('d', daily(9, 0, { timezone: 'america/new_york' }), NOW).timing).toEqual({
      kind: 'cron',
      expression: '0 9 * * *',
      timezone: 'America/New_York',
    });
  });

  it('normalises spaces in cron expressions', () => {
    expect(resolveTiming('c', cron('  0   3 * *  * '), NOW).timing).toEqual({ kind: 'cron', expression: '0 3 * * *', timezone: 'UTC' });
  });

  it('accepts CronExpression constants', () => {
    expect(nextTimes(CronExpression.EVERY_30_SECONDS, '2026-01-01T00:00:10Z', 2)).toEqual([
      '2026-01-01T00:00:30.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
    expect(nextTimes(CronExpression.EVERY_DAY_AT_1AM, '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T01:00:00.000Z']);
    expect(nextTimes(CronExpression.MONDAY_TO_FRIDAY_AT_09_30AM, '2026-01-02T10:00:00Z', 2)).toEqual([
      '2026-01-05T09:30:00.000Z',
      '2026-01-06T09:30:00.000Z',
    ]);
    expect(nextTimes(cron(CronExpression.EVERY_QUARTER, { timezone: 'Europe/Berlin' }), '2026-01-01T00:00:00Z', 1)).toEqual([
      '2026-03-31T22:00:00.000Z',
    ]);
  });

  it.each([
    ['malformed', '0 3 * *', /must have 5 fields/],
    ['letters', 'a b c d e', /cannot be parsed/],
    ['zero step', '*/0 * * * *', /invalid step .*at least 1/],
    ['zero step in a range', '0-59/0 * * * *', /invalid step/],
    ['step over range', '*/99 * * * *', /invalid step .*no larger than its field's range/],
    ['hour out of range', '0 24 * * *', /out of range in the hour field/],
    ['day out of range', '0 0 32 * *', /out of range in the day-of-month field/],
    ['never fires', '0 0 30 2 *', /can never fire/],
    ['past year', '0 0 0 1 1 * 2020', /can never fire/],
    ['date instead of fields', '2026-01-01T00:00:00', /is a date, not a cron expression/],
  ])('rejects cron expression: %s', (_case, expression, problem) => {
    const error = rejection(expression);
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toContain(`Invalid schedule "nightly": cron expression "${expression}"`);
    expect(error.message).toMatch(problem);
  });

  it.each([
    ['interval 0', every(0), /interval 0 must be from 1ms/],
    ['interval word', every('soon'), /interval "soon" is not a duration/],
    ['interval over a year', every('400d'), /must be from 1ms to 365 days/],
    ['hour 24', daily(24), /hour 24 must be an integer from 0 to 23/],
    ['minute 1.5', daily(3, 1.5), /minute 1.5 must be an integer/],
    ['unknown weekday', weekly('funday', 9), /weekday "funday" must be 0 to 7/],
    ['unknown timezone', daily(3, 0, { timezone: 'Mars/Olympus' }), /timezone "Mars\/Olympus" is not an IANA timezone/],
    ['non-schedule', 42 as never, /schedule 42 is not a schedule/],
  ])('rejects %s', (_case, spec, problem) => {
    const error = rejection(spec);
    expect(error).toBeInstanceOf(InvalidScheduleError);
    expect(error.message).toMatch(problem);
  });

  it('ends the search for a nasty expression', () => {
    // Day 31 of February on the last Sunday in a leap year: croner gives up at the year 9999.
    expect(() => resolveTiming('nasty', cron('59 59 23 31 2 +0#L *', { timezone: 'America/New_York' }), NOW)).toThrow(/can never fire/);
    const rare = resolveTiming('rare', cron('0 0 0 29 2 +1#L *'), NOW);
    expect(new Date(rare.next(NOW) ?? 0).toISOString()).toBe('2044-02-29T00:00:00.000Z');
  });

  it('keeps croner DST rules for lists and intervals', () => {
    // A list is fixed-time: one run at the first 02:00 of the fall-back day in Berlin.
    expect(nextTimes(cron('0 2,14 * * *', { timezone: 'Europe/Berlin' }), '2026-10-24T20:00:00Z', 3)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T13:00:00.000Z',
      '2026-10-26T01:00:00.000Z',
    ]);
    // A step is an interval job: it runs on both passes through 02:00-03:00 and skips the gap.
    expect(nextTimes(cron('*/30 * * * *', { timezone: 'Europe/Berlin' }), '2026-10-25T00:00:00Z', 3)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ]);
    expect(nextTimes(cron('*/30 * * * *', { timezone: 'Europe/Berlin' }), '2026-03-29T00:30:00Z', 1)).toEqual(['2026-03-29T01:00:00.000Z']);
  });
});

describe('catch-up plan', () => {
  it('counts skipped interval ticks exactly', () => {
    const compiled = resolveTiming('hourly', every('1h'), NOW);
    const due = NOW + HOUR;
    expect(planCatchUp(compiled, due, due + 5 * HOUR + 10)).toEqual({ nextRunAtMs: due + 6 * HOUR, missed: 5, capped: false });
    expect(planCatchUp(compiled, due, due + 10)).toEqual({ nextRunAtMs: due + HOUR, missed: 0, capped: false });
  });

  it('counts a 1ms interval after a year by arithmetic', () => {
    const compiled = resolveTiming('tiny', every(1), NOW);
    const plan = planCatchUp(compiled, NOW + 1, NOW + 365 * DAY);
    expect(plan).toEqual({ nextRunAtMs: NOW + 365 * DAY + 1, missed: 365 * DAY - 1, capped: false });
  });

  it('caps counting of a per-second cron after a year', () => {
    const compiled = resolveTiming('per-second', cron('* * * * * *'), NOW);
    const plan = planCatchUp(compiled, NOW + 1_000, NOW + 365 * DAY + 500);
    expect(plan).toEqual({ nextRunAtMs: NOW + 365 * DAY + 1_000, missed: MAX_COUNTED_MISSED_TICKS, capped: true });
  });

  it('counts cron ticks below the cap', () => {
    const compiled = resolveTiming('five', cron('*/5 * * * *'), NOW);
    const due = NOW + 5 * 60_000;
    const plan = planCatchUp(compiled, due, due + 2 * HOUR + 60_000);
    expect(plan).toEqual({ nextRunAtMs: due + 2 * HOUR + 5 * 60_000, missed: 24, capped: false });
  });

  it('ends a cron schedule without later ticks', () => {
    const compiled = resolveTiming('once', cron('0 0 0 1 1 * 2027'), NOW);
    const due = Date.parse('2027-01-01T00:00:00Z');
    expect(planCatchUp(compiled, due, due + 1)).toEqual({ nextRunAtMs: null, missed: 0, capped: false });
  });
});

describe('scheduler sleep', () => {
  it('wakes at the next run when it is sooner than the poll', () => {
    expect(sleepDelayMs(NOW, NOW + 250, 1_000)).toBe(250);
  });

  it('sleeps one poll interval for a schedule a month away', () => {
    expect(sleepDelayMs(NOW, NOW + 31 * DAY, 1_000)).toBe(1_000);
    expect(sleepDelayMs(NOW, null, 1_000)).toBe(1_000);
  });

  it('never passes setTimeout more than 2^31-1 ms', () => {
    expect(sleepDelayMs(NOW, NOW + 31 * DAY, Number.MAX_SAFE_INTEGER)).toBe(2 ** 31 - 1);
  });

  it('never sleeps a negative delay for an overdue schedule', () => {
    expect(sleepDelayMs(NOW, NOW - HOUR, 1_000)).toBe(0);
  });

  it('rejects a poll interval setTimeout cannot wait', () => {
    expect(() => resolveSchedulerOptions({ scheduler: true, schedulerPollInterval: '30d' })).toThrow(/schedulerPollInterval "30d": must be from 1ms to 2147483647ms/);
    expect(resolveSchedulerOptions({})).toBeNull();
    expect(resolveSchedulerOptions({ scheduler: true })).toEqual({ pollIntervalMs: 1_000 });
  });
});
