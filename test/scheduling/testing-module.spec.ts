import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DurableJobsModule, JobCompleted, JobContext, JobQueue, ScheduleFired, Scheduled, every } from '../../lib/index.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { FAST_WORKER, collectEvents, createTestApp } from '../support/test-app.js';
import { scheduleColumnsOf } from './schedule-test-helpers.js';

const INTERVAL_MS = 200;
const RUNS = 5;

@Injectable()
class HeartbeatJobs {
  readonly runs: string[] = [];

  @Scheduled(every(`${INTERVAL_MS}ms`), { name: 'heartbeat', args: { source: 'testing-module' } })
  async beat(args: { source: string }, ctx: JobContext): Promise<string> {
    this.runs.push(ctx.jobId);
    return args.source;
  }
}

describe.each(testDialects())('every() under the Nest testing module on %s', (dialect) => {
  let database: TestDatabase;
  let app: INestApplication;
  let completed: Promise<JobCompleted[]>;
  let fired: Promise<ScheduleFired[]>;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    // No workers option: the implicit default worker runs the scheduler.
    const moduleRef = await Test.createTestingModule({
      imports: [DurableJobsModule.forRoot({ connection: database.connection })],
      providers: [HeartbeatJobs],
    }).compile();
    app = moduleRef.createNestApplication({ logger: process.env.TEST_LOGS ? undefined : false });
    const queue = app.get(JobQueue);
    completed = collectEvents(queue, JobCompleted, RUNS, (event) => event.job.type === 'heartbeat');
    fired = collectEvents(queue, ScheduleFired, RUNS, (event) => event.name === 'heartbeat');
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('runs its jobs through the handler', async () => {
    const events = await completed;
    expect(events.map((event) => event.result)).toEqual(Array(RUNS).fill('testing-module'));
    const runs = app.get(HeartbeatJobs).runs;
    expect(runs).toEqual(expect.arrayContaining(events.map((event) => event.jobId)));

    const queue = app.get(JobQueue);
    const ticks = new Set<number>();
    for (const event of events) {
      const { scheduleName, scheduledAt } = await scheduleColumnsOf(queue, event.jobId);
      expect(scheduleName).toBe('heartbeat');
      expect((scheduledAt?.getTime() ?? 1) % INTERVAL_MS).toBe(0);
      ticks.add(scheduledAt?.getTime() ?? 0);
    }
    expect(ticks.size).toBe(RUNS);
  });

  it('announces each tick with its job', async () => {
    const events = await fired;
    for (const event of events) {
      expect(event.type).toBe('heartbeat');
      expect(event.queue).toBe('default');
      expect(event.nextRunAt?.getTime()).toBeGreaterThan(event.scheduledAt.getTime());
    }
    expect(new Set(events.map((event) => event.jobId)).size).toBe(RUNS);
  });
});

describe.each(testDialects())('scheduler defaults on %s', (dialect) => {
  it('runs no scheduler on an explicit worker unless asked', async () => {
    const logger = new CapturedLogger();
    const harness = await createTestApp(dialect, { logger, options: { workers: [{ ...FAST_WORKER, name: 'plain' }] } });
    try {
      await logger.waitFor('log', /Worker plain@.* started/);
      expect(logger.matching('log', /Scheduler of/)).toHaveLength(0);
    } finally {
      await harness.close();
    }
  });

  it('runs one on an explicit worker with scheduler: true', async () => {
    const logger = new CapturedLogger();
    const harness = await createTestApp(dialect, { logger, options: { workers: [{ ...FAST_WORKER, name: 'timed', scheduler: true }] } });
    try {
      expect(logger.matching('log', /Scheduler of timed@/)).toHaveLength(1);
    } finally {
      await harness.close();
    }
  });
});
