import { Injectable } from '@nestjs/common';
import { IsIn, IsString } from 'class-validator';
import {
  ArgsValidationError,
  InvalidOptionError,
  InvalidScheduleError,
  JobContext,
  JobHandler,
  Scheduled,
  cron,
  daily,
  every,
  type TypeOrmJobStorage,
} from '../../lib/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { testDialects } from '../support/databases.js';
import { FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';
import { ScheduleEventLog, scheduleColumnsOf } from './schedule-test-helpers.js';

const HOUR = 3_600_000;

class ExportArgs {
  @IsString()
  @IsIn(['csv', 'json'])
  format!: string;
}

@Injectable()
class ExportJobs {
  @JobHandler('export', { queue: 'exports', retries: 2, args: ExportArgs })
  async export(args: ExportArgs): Promise<string> {
    return args.format;
  }

  /** Both decorators: the schedule enqueues the handler's job type under a name of its own. */
  @JobHandler('cleanup')
  @Scheduled(daily(4, 0), { args: { olderThanDays: 30 } })
  async cleanup(_args: { olderThanDays: number }, _ctx: JobContext): Promise<void> {}
}

describe.each(testDialects())('schedule management on %s', (dialect) => {
  let harness: TestApp;
  let clock: FakeClock;
  let log: ScheduleEventLog;

  beforeAll(async () => {
    clock = new FakeClock('2026-01-01T00:00:30Z');
    harness = await createTestApp(dialect, {
      providers: [ExportJobs],
      options: { scheduleClock: clock, workers: [{ ...FAST_WORKER, scheduler: true, queues: ['default', 'exports', 'reports'] }] },
    });
    log = new ScheduleEventLog([harness.queue]);
    await clock.settle(1);
  });

  afterAll(async () => {
    log?.stop();
    await harness?.close();
  });

  it('passes the schedule options to every job', async () => {
    const registration = await harness.queue.schedule('nightly-export', every('1h'), {
      type: 'export',
      args: { format: 'csv' },
      queue: 'reports',
      retries: 7,
      priority: 5,
      backoff: { initial: '2s', max: '1m' },
    });
    expect(registration.outcome).toBe('created');
    expect(registration.schedule).toMatchObject({ type: 'export', queue: 'reports', retries: 7, priority: 5, args: { format: 'csv' } });
    await clock.settle(1);

    await clock.advance(HOUR);
    const fired = log.fired.filter(({ event }) => event.name === 'nightly-export').map(({ event }) => event);
    expect(fired).toHaveLength(1);
    const job = await harness.queue.getJob(fired[0].jobId);
    expect(job).toMatchObject({ type: 'export', queue: 'reports', maxRetries: 7, priority: 5, args: { format: 'csv' } });
    expect(job?.backoff).toMatchObject({ initialMs: 2_000, maxMs: 60_000 });
    expect(await scheduleColumnsOf(harness.queue, fired[0].jobId)).toEqual({
      scheduleName: 'nightly-export',
      scheduledAt: new Date('2026-01-01T01:00:00Z'),
    });
    await harness.queue.removeSchedule('nightly-export');
  });

  it('takes defaults from the handler of the job type', async () => {
    const { schedule } = await harness.queue.schedule('csv-export', every('1h'), { type: 'export', args: { format: 'json' } });
    expect(schedule).toMatchObject({ queue: 'exports', retries: 2, priority: 0, backoff: null });
    await harness.queue.removeSchedule('csv-export');
  });

  it('registers @Scheduled on a @JobHandler method under the method name', async () => {
    const schedule = await harness.queue.getSchedule('ExportJobs.cleanup');
    expect(schedule).toMatchObject({
      type: 'cleanup',
      args: { olderThanDays: 30 },
      timing: { kind: 'cron', expression: '0 4 * * *', timezone: 'UTC' },
    });
  });

  it('validates args against the handler DTO at registration', async () => {
    const error = await harness.queue.schedule('bad-export', every('1h'), { type: 'export', args: { format: 'xml' } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ArgsValidationError);
    expect((error as Error).message).toMatch(/^Schedule "bad-export": /);
    expect(await harness.queue.getSchedule('bad-export')).toBeNull();
  });

  it('rejects invalid job options at registration', async () => {
    await expect(harness.queue.schedule('bad-queue', every('1h'), { type: 'export', args: { format: 'csv' }, queue: '' })).rejects.toThrow(InvalidOptionError);
    await expect(harness.queue.schedule('', every('1h'))).rejects.toThrow(/schedule name "": must not be empty/);
    await expect(harness.queue.schedule('bad-cron', '*/0 * * * *')).rejects.toThrow(InvalidScheduleError);
    expect((await harness.queue.listSchedules()).map((schedule) => schedule.name)).toEqual(['ExportJobs.cleanup']);
  });

  it('updates a changed definition and keeps an unchanged one', async () => {
    const storage = harness.queue.storage as TypeOrmJobStorage;
    const options = { type: 'export', args: { format: 'csv' } };
    const created = await harness.queue.schedule('report', cron('0 6 * * *'), options);
    expect(created.outcome).toBe('created');
    expect(created.schedule.nextRunAt?.toISOString()).toBe('2026-01-01T06:00:00.000Z');

    const again = await harness.queue.schedule('report', cron('0  6 * * *'), options);
    expect(again.outcome).toBe('unchanged');
    expect((await storage.schedules.get('report'))?.revision).toBe(1);

    const newArgs = await harness.queue.schedule('report', cron('0 6 * * *'), { ...options, args: { format: 'json' } });
    expect(newArgs.outcome).toBe('updated');
    expect(newArgs.schedule.args).toEqual({ format: 'json' });
    expect(newArgs.schedule.nextRunAt?.toISOString()).toBe('2026-01-01T06:00:00.000Z');

    const newTiming = await harness.queue.schedule('report', cron('30 2 * * *', { timezone: 'Europe/Berlin' }), { ...options, args: { format: 'json' } });
    expect(newTiming.outcome).toBe('updated');
    // The clock reads 01:00:30Z, and 02:30 in Berlin is 01:30Z in winter.
    expect(newTiming.schedule.nextRunAt?.toISOString()).toBe('2026-01-01T01:30:00.000Z');
    expect((await storage.schedules.get('report'))?.revision).toBe(3);
    await harness.queue.removeSchedule('report');
  });

  it('pauses and resumes without catching up the paused ticks', async () => {
    await harness.queue.schedule('paused-hourly', every('1h'), { type: 'export', args: { format: 'csv' } });
    await clock.settle(1);
    expect(await harness.queue.pauseSchedule('paused-hourly')).toBe(true);
    expect((await harness.queue.getSchedule('paused-hourly'))?.paused).toBe(true);

    await clock.advance(5 * HOUR);
    expect(log.ticks('paused-hourly')).toEqual([]);

    const nextAfterNow = Math.floor(clock.now() / HOUR) * HOUR + HOUR;
    expect(await harness.queue.resumeSchedule('paused-hourly')).toBe(true);
    await clock.settle(1);
    const resumed = await harness.queue.getSchedule('paused-hourly');
    expect(resumed?.paused).toBe(false);
    expect(resumed?.nextRunAt?.getTime()).toBe(nextAfterNow);
    expect(await harness.queue.resumeSchedule('paused-hourly')).toBe(true);

    await clock.setTime(nextAfterNow);
    expect(log.ticks('paused-hourly')).toEqual([new Date(nextAfterNow).toISOString()]);
    expect(log.missed.filter((event) => event.name === 'paused-hourly')).toEqual([]);
  });

  it('removes a schedule and reports unknown names', async () => {
    expect(await harness.queue.removeSchedule('paused-hourly')).toBe(true);
    expect(await harness.queue.getSchedule('paused-hourly')).toBeNull();
    expect(await harness.queue.removeSchedule('paused-hourly')).toBe(false);
    expect(await harness.queue.pauseSchedule('no-such-schedule')).toBe(false);
    expect(await harness.queue.resumeSchedule('no-such-schedule')).toBe(false);

    const before = log.fired.length;
    await clock.advance(2 * HOUR);
    expect(log.fired.slice(before).map(({ event }) => event.name)).not.toContain('paused-hourly');
  });
});
