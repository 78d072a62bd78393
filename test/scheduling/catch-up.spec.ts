import { Injectable } from '@nestjs/common';
import { JobHandler, MAX_COUNTED_MISSED_TICKS, cron, every } from '../../lib/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { testDialects } from '../support/databases.js';
import { FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';
import { ScheduleEventLog, jobsPerTick } from './schedule-test-helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const POLL_MS = 1_000;

@Injectable()
class NoopJobs {
  @JobHandler('catch-up-noop')
  async run(): Promise<void> {}
}

describe.each(testDialects())('schedule catch-up on %s', (dialect) => {
  let harness: TestApp;
  let clock: FakeClock;
  let log: ScheduleEventLog;

  beforeAll(async () => {
    clock = new FakeClock('2026-01-01T00:00:30Z');
    harness = await createTestApp(dialect, {
      providers: [NoopJobs],
      options: { scheduleClock: clock, workers: [{ ...FAST_WORKER, scheduler: true, schedulerPollInterval: POLL_MS }] },
    });
    log = new ScheduleEventLog([harness.queue]);
    await clock.settle(1);
  });

  afterAll(async () => {
    log?.stop();
    await harness?.close();
  });

  async function register(name: string, schedule: Parameters<TestApp['queue']['schedule']>[1]): Promise<void> {
    await harness.queue.schedule(name, schedule, { type: 'catch-up-noop' });
    await clock.settle(1);
  }

  it('runs once after downtime and reports the missed ticks', async () => {
    await register('hourly', every('1h'));

    await clock.setTime('2026-01-01T01:00:00Z');
    expect(log.ticks('hourly')).toEqual(['2026-01-01T01:00:00.000Z']);

    // Down from just after 01:00 until 11:30: ticks 02:00 to 11:00 passed.
    await clock.setTime('2026-01-01T11:30:00Z');
    expect(log.ticks('hourly')).toEqual(['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z']);
    const [missed] = log.missed.filter((event) => event.name === 'hourly');
    expect(missed.missed).toBe(9);
    expect(missed.capped).toBe(false);
    expect(missed.scheduledAt.toISOString()).toBe('2026-01-01T02:00:00.000Z');
    expect(missed.nextRunAt?.toISOString()).toBe('2026-01-01T12:00:00.000Z');
    expect(missed.jobId).toBe(log.fired.at(-1)?.event.jobId);

    const stored = await harness.queue.getSchedule('hourly');
    expect(stored?.nextRunAt?.toISOString()).toBe('2026-01-01T12:00:00.000Z');
    expect(stored?.lastRunAt?.toISOString()).toBe('2026-01-01T02:00:00.000Z');
    expect([...(await jobsPerTick(harness.queue, 'hourly')).values()]).toEqual([1, 1]);

    await clock.setTime('2026-01-01T12:00:00Z');
    expect(log.ticks('hourly')).toHaveLength(3);
    expect(log.missed.filter((event) => event.name === 'hourly')).toHaveLength(1);
    await harness.queue.removeSchedule('hourly');
  });

  it('counts the ticks of a tiny interval after a year exactly', async () => {
    const start = clock.now();
    await register('every-millisecond', every(1));

    await clock.setTime(start + 365 * DAY);
    const ticks = log.ticks('every-millisecond');
    expect(ticks).toEqual([new Date(start + 1).toISOString()]);
    const [missed] = log.missed.filter((event) => event.name === 'every-millisecond');
    expect(missed.missed).toBe(365 * DAY - 1);
    expect(missed.capped).toBe(false);
    expect(missed.nextRunAt?.getTime()).toBe(start + 365 * DAY + 1);
    await harness.queue.removeSchedule('every-millisecond');
  });

  it('caps the count of a per-second cron after a year', async () => {
    const start = clock.now();
    await register('every-second', cron('* * * * * *'));

    await clock.setTime(start + 365 * DAY + 500);
    expect(log.ticks('every-second')).toEqual([new Date(start + 1_000).toISOString()]);
    const [missed] = log.missed.filter((event) => event.name === 'every-second');
    expect(missed.missed).toBe(MAX_COUNTED_MISSED_TICKS);
    expect(missed.capped).toBe(true);
    expect(missed.nextRunAt?.getTime()).toBe(start + 365 * DAY + 1_000);
    await harness.queue.removeSchedule('every-second');
  });

  it('sleeps until the next tick when it comes before the poll', async () => {
    await register('quarter-second', every(250));
    const next = Math.floor(clock.now() / 250) * 250 + 250;

    await clock.setTime(next);
    expect(log.ticks('quarter-second')).toEqual([new Date(next).toISOString()]);
    expect(clock.requestedDelays.at(-1)).toBe(250);

    await clock.advance(250);
    expect(log.ticks('quarter-second')).toHaveLength(2);
    expect(log.missed.filter((event) => event.name === 'quarter-second')).toEqual([]);
    await harness.queue.removeSchedule('quarter-second');
  });

  it('waits for a schedule a month away without firing early or spinning', async () => {
    await clock.setTime('2028-01-02T00:00:00Z');
    await register('monthly', cron('0 0 1 * *'));
    expect((await harness.queue.getSchedule('monthly'))?.nextRunAt?.toISOString()).toBe('2028-02-01T00:00:00.000Z');

    const sleepsBefore = clock.requestedDelays.length;
    let steps = 0;
    while (clock.now() + 6 * HOUR < Date.parse('2028-02-01T00:00:00Z')) {
      await clock.advance(6 * HOUR);
      steps += 1;
    }
    const delays = clock.requestedDelays.slice(sleepsBefore);
    expect(log.ticks('monthly')).toEqual([]);
    // One round and one sleep per step: a scheduler that spun would ask for many more.
    expect(delays.length).toBe(steps);
    expect(delays.every((delay) => delay === POLL_MS)).toBe(true);

    await clock.setTime('2028-02-01T00:00:00Z');
    expect(log.ticks('monthly')).toEqual(['2028-02-01T00:00:00.000Z']);
    expect(log.missed.filter((event) => event.name === 'monthly')).toEqual([]);
  });
});
