import { Injectable } from '@nestjs/common';
import pg from 'pg';
import {
  isRetryableStorageError,
  JobCompleted,
  JobHandler,
  JobStatus,
  StorageUnavailableError,
  type JobContext,
} from '../../lib/index.js';
import { CapturedLogger } from '../support/captured-logger.js';
import type { TestDatabase } from '../support/databases.js';
import { testDialects } from '../support/databases.js';
import { startDedicatedPostgres, type DedicatedPostgres } from '../support/dedicated-postgres.js';
import { EventRecorder, FAST_WORKER, createTestApp } from '../support/test-app.js';

/** How long the server stays down; TEST_OUTAGE_MS overrides it. */
const OUTAGE_MS = Number(process.env.TEST_OUTAGE_MS ?? 3_000);
const JOB_COUNT = 80;
const TEST_TIMEOUT_MS = 60_000 + OUTAGE_MS;

@Injectable()
class CountingJobs {
  readonly runs = new Map<string, number>();

  @JobHandler('outage-job', { queue: 'outage' })
  async run(_args: unknown, ctx: JobContext): Promise<void> {
    this.runs.set(ctx.jobId, (this.runs.get(ctx.jobId) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Worker settings that ride out the outage: leases outlast it, so no job is reclaimed while
 * its worker still runs it, and outcome writes retry for longer than the server is down.
 */
const OUTAGE_WORKER = {
  ...FAST_WORKER,
  queues: { outage: { concurrency: 4 } },
  lockDuration: OUTAGE_MS + 10_000,
  heartbeatInterval: 500,
  staleLockInterval: 500,
  staleLockAge: 1_000,
  storageRetry: { maxAttempts: Math.ceil((OUTAGE_MS + 20_000) / 250), initialBackoff: 20, maxBackoff: 250 },
  dequeueRetry: { initialBackoff: 20, maxBackoff: 250 },
};

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

describePostgres('PostgreSQL outage', () => {
  let server: DedicatedPostgres;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startDedicatedPostgres();
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await server?.destroy();
  });

  /** Creates a database of its own on the dedicated server; drop() needs the server running. */
  async function createDatabase(name: string): Promise<TestDatabase> {
    await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
    const url = new URL(server.url);
    url.pathname = `/${name}`;
    return {
      dialect: 'postgres',
      connection: { type: 'postgres', url: url.toString() },
      location: url.toString(),
      drop: async () => {
        await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  }

  async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  it('resumes after the server stops mid-run', async () => {
    const database = await createDatabase('outage_mid_run');
    const logger = new CapturedLogger();
    const harness = await createTestApp('postgres', {
      database,
      logger,
      providers: [CountingJobs],
      options: { workers: [OUTAGE_WORKER] },
    });
    const events = new EventRecorder(harness.queue);
    const jobs = harness.app.get(CountingJobs);
    const completedCount = () => events.events.filter((event) => event instanceof JobCompleted).length;
    try {
      const ids = await harness.queue.enqueueMany(Array.from({ length: JOB_COUNT }, (_, index) => ({ type: 'outage-job', args: { index } })));
      await events.waitUntil(() => completedCount() >= 15, 20_000);

      await server.stop();
      const completedAtStop = completedCount();
      const duringOutage = await harness.queue.enqueue('outage-job', { late: true }).catch((error: unknown) => error);
      // The outage itself: the server stays down for OUTAGE_MS whatever the workers do.
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await server.start();
      await events.waitUntil(() => completedCount() >= JOB_COUNT, 30_000);

      expect(completedAtStop).toBeLessThan(JOB_COUNT);
      expect(isRetryableStorageError(duringOutage, 'postgres')).toBe(true);
      // Which call meets the outage first depends on timing: a claim, or an outcome write being retried.
      const outageLogs = [
        ...logger.matching('error', /failed to claim from queue "outage"/),
        ...logger.matching('warn', /failed to record the outcome/),
      ];
      expect(outageLogs.length).toBeGreaterThan(0);
      for (const id of ids) {
        expect({ id, runs: jobs.runs.get(id) }).toEqual({ id, runs: 1 });
        expect({ id, completions: events.of(JobCompleted, id).length }).toEqual({ id, completions: 1 });
      }
      const counts = await harness.queue.storage.countByStatus('outage');
      expect(counts[JobStatus.Completed]).toBe(JOB_COUNT);
      expect(counts[JobStatus.Running]).toBe(0);
      expect(unhandled).toEqual([]);
    } finally {
      events.stop();
      await harness.close();
      if (!server.running) await server.start();
      await database.drop();
    }
  }, TEST_TIMEOUT_MS);

  it('boots while the server is down and runs jobs once it is up', async () => {
    const database = await createDatabase('outage_boot');
    await server.stop();
    const logger = new CapturedLogger();
    const harness = await createTestApp('postgres', {
      database,
      logger,
      providers: [CountingJobs],
      options: {
        workers: [OUTAGE_WORKER],
        connectRetry: { initialBackoff: 20, maxBackoff: 250 },
        readyTimeout: 2_000,
      },
    });
    const events = new EventRecorder(harness.queue);
    const jobs = harness.app.get(CountingJobs);
    try {
      expect(logger.matching('warn', /The job database \(postgres\) is unreachable at start-up: .*ECONNREFUSED/)).toHaveLength(1);
      const whileDown = await harness.queue.enqueue('outage-job', {}).catch((error: unknown) => error);
      expect(whileDown).toBeInstanceOf(StorageUnavailableError);
      expect((whileDown as Error).message).toMatch(/is unreachable: the storage was not ready after 2000ms \(last error: .*ECONNREFUSED/);

      await server.start();
      const ids = await harness.queue.enqueueMany(Array.from({ length: 5 }, (_, index) => ({ type: 'outage-job', args: { index } })));
      for (const id of ids) await events.waitFor(JobCompleted, id, 20_000);

      expect(await logger.waitFor('log', /Connected to the job database \(postgres\) after \d+ attempts/)).toBeDefined();
      for (const id of ids) expect(jobs.runs.get(id)).toBe(1);
      expect((await harness.queue.storage.countByStatus('outage'))[JobStatus.Completed]).toBe(5);
      expect(unhandled).toEqual([]);
    } finally {
      events.stop();
      await harness.close();
      if (!server.running) await server.start();
      await database.drop();
    }
  }, TEST_TIMEOUT_MS);
});
