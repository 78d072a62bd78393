import { Injectable } from '@nestjs/common';
import { JobHandler, daily } from '../../lib/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { testDialects } from '../support/databases.js';
import { FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';
import { ScheduleEventLog, jobsPerTick } from './schedule-test-helpers.js';

const STEP = 10 * 60_000;
const WINDOW = 48 * 60 * 60_000;

@Injectable()
class NoopJobs {
  @JobHandler('dst-noop')
  async run(): Promise<void> {}
}

/**
 * Each case registers a daily schedule at the start of a 48-hour window around a transition,
 * steps the clock through the window and records the ticks that fired. The cases run in
 * calendar order because the fake clock only moves forward.
 */
const CASES = [
  {
    name: 'new-york-spring-forward',
    schedule: daily(2, 30, { timezone: 'America/New_York' }),
    windowStart: '2026-03-07T12:00:00Z',
    // 02:30 does not exist on 8 March: it runs at 03:00 EDT, then 02:30 EDT the next day.
    expected: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'],
  },
  {
    name: 'berlin-spring-forward',
    schedule: daily(2, 30, { timezone: 'Europe/Berlin' }),
    windowStart: '2026-03-28T12:00:00Z',
    // 02:30 does not exist on 29 March: it runs at 03:00 CEST, then 02:30 CEST the next day.
    expected: ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
  },
  {
    name: 'berlin-fall-back',
    schedule: daily(2, 30, { timezone: 'Europe/Berlin' }),
    windowStart: '2026-10-24T12:00:00Z',
    // 02:30 occurs twice on 25 October: it runs once, at the first (CEST) occurrence.
    expected: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
  },
  {
    name: 'new-york-fall-back',
    schedule: daily(1, 30, { timezone: 'America/New_York' }),
    windowStart: '2026-10-31T12:00:00Z',
    // 01:30 occurs twice on 1 November: it runs once, at the first (EDT) occurrence.
    expected: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
  },
];

describe.each(testDialects())('daylight-saving transitions on %s', (dialect) => {
  let harness: TestApp;
  let clock: FakeClock;
  let log: ScheduleEventLog;

  beforeAll(async () => {
    clock = new FakeClock(CASES[0].windowStart);
    harness = await createTestApp(dialect, {
      providers: [NoopJobs],
      options: { scheduleClock: clock, workers: [{ ...FAST_WORKER, scheduler: true }] },
    });
    log = new ScheduleEventLog([harness.queue]);
    await clock.settle(1);
  });

  afterAll(async () => {
    log?.stop();
    await harness?.close();
  });

  it.each(CASES)('fires $name once per day', async ({ name, schedule, windowStart, expected }) => {
    await clock.setTime(windowStart);
    await harness.queue.schedule(name, schedule, { type: 'dst-noop' });
    await clock.settle(1);

    for (let elapsed = 0; elapsed < WINDOW; elapsed += STEP) await clock.advance(STEP);

    expect(log.ticks(name)).toEqual(expected);
    expect(log.missed.filter((event) => event.name === name)).toEqual([]);
    const counts = await jobsPerTick(harness.queue, name);
    expect([...counts.entries()].sort()).toEqual(expected.map((tick) => [tick, 1]));
    await harness.queue.removeSchedule(name);
  });
});
