import { Injectable } from '@nestjs/common';
import { filter, firstValueFrom, merge, take, timeout, toArray } from 'rxjs';
import { JobCompleted, JobContext, Scheduled, every, ofKind, type TypeOrmJobStorage } from '../../lib/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';
import { ScheduleEventLog, jobsPerTick } from './schedule-test-helpers.js';

const MINUTE = 60_000;
const START = Date.parse('2026-01-01T00:00:30Z');
const TICKS = 30;

@Injectable()
class MinutelyJobs {
  readonly runs: string[] = [];

  @Scheduled(every('1m'), { name: 'minutely', queue: 'ticks' })
  async tick(_args: unknown, ctx: JobContext): Promise<void> {
    this.runs.push(ctx.jobId);
  }
}

describe.each(testDialects())('schedules across three instances on %s', (dialect) => {
  let database: TestDatabase;
  let clock: FakeClock;
  let apps: TestApp[] = [];
  let log: ScheduleEventLog;

  function boot(): Promise<TestApp> {
    return createTestApp(dialect, {
      database,
      providers: [MinutelyJobs],
      options: { scheduleClock: clock, workers: [{ ...FAST_WORKER, scheduler: true }] },
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    clock = new FakeClock(START);
    // Three instances boot at once and each registers the same @Scheduled schedule.
    apps = await Promise.all([boot(), boot(), boot()]);
    log = new ScheduleEventLog(apps.map((app) => app.queue));
    await clock.settle(3);
  });

  afterAll(async () => {
    log?.stop();
    for (const app of apps) await app.close();
    await database?.drop();
  });

  it('stores one schedule when three instances boot together', async () => {
    const storage = apps[0].queue.storage as TypeOrmJobStorage;
    const stored = await storage.schedules.get('minutely');
    expect(stored?.revision).toBe(1);
    expect(stored?.nextRunAt?.toISOString()).toBe('2026-01-01T00:01:00.000Z');
    for (const app of apps) {
      expect((await app.queue.listSchedules()).map((schedule) => schedule.name)).toEqual(['minutely']);
    }
  });

  it('enqueues exactly one job per tick', async () => {
    const completed = firstValueFrom(
      merge(...apps.map((app) => app.queue.events$)).pipe(
        ofKind(JobCompleted),
        filter((event) => event.job.type === 'minutely'),
        take(TICKS),
        toArray(),
        timeout(20_000),
      ),
    );

    for (let tick = 1; tick <= TICKS; tick += 1) await clock.advance(MINUTE);

    const expected = Array.from({ length: TICKS }, (_, index) => new Date(Date.parse('2026-01-01T00:01:00Z') + index * MINUTE).toISOString());
    const counts = await jobsPerTick(apps[0].queue, 'minutely');
    expect([...counts.keys()].sort()).toEqual(expected);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(log.ticks('minutely')).toEqual(expected);
    expect(log.missed).toEqual([]);

    const jobIds = (await completed).map((event) => event.jobId);
    expect(new Set(jobIds).size).toBe(TICKS);
    const runs = apps.flatMap((app) => app.app.get(MinutelyJobs).runs);
    expect(runs.sort()).toEqual([...jobIds].sort());
  });

  it('keeps the schedule when another instance boots with it', async () => {
    const storage = apps[0].queue.storage as TypeOrmJobStorage;
    const before = await storage.schedules.get('minutely');
    const late = await boot();
    try {
      const after = await storage.schedules.get('minutely');
      expect(after?.revision).toBe(before?.revision);
      expect(after?.nextRunAt).toEqual(before?.nextRunAt);
    } finally {
      await late.close();
    }
  });
});
