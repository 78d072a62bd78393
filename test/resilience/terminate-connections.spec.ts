import { Injectable } from '@nestjs/common';
import pg from 'pg';
import { JobCompleted, JobHandler, JobStatus, type JobContext } from '../../lib/index.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

const APPLICATION_NAME = 'durable-jobs-terminate-test';
const JOB_COUNT = 60;
/** Completed-job counts at which every library connection is terminated. */
const TERMINATE_AT = [10, 25, 40];

/** Simulates a short piece of work and counts runs per job id. */
@Injectable()
class CountingJobs {
  readonly runs = new Map<string, number>();

  @JobHandler('counted', { queue: 'terminate' })
  async run(_args: unknown, ctx: JobContext): Promise<void> {
    this.runs.set(ctx.jobId, (this.runs.get(ctx.jobId) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

describePostgres('pg_terminate_backend while jobs run', () => {
  let database: TestDatabase;
  let harness: TestApp;
  let admin: pg.Client;
  const logger = new CapturedLogger();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    database = await createTestDatabase('postgres');
    admin = new pg.Client({ connectionString: database.location });
    await admin.connect();
    harness = await createTestApp('postgres', {
      database,
      logger,
      providers: [CountingJobs],
      options: {
        connection: { type: 'postgres', url: database.location, applicationName: APPLICATION_NAME },
        workers: [
          {
            ...FAST_WORKER,
            queues: { terminate: { concurrency: 6 } },
            storageRetry: { maxAttempts: 10, initialBackoff: 10, maxBackoff: 200 },
            dequeueRetry: { initialBackoff: 10, maxBackoff: 200 },
            // Jobs whose claim reply was lost are reclaimed within the test's time.
            staleLockInterval: 250,
            staleLockAge: 250,
          },
        ],
      },
    });
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await harness?.close();
    await admin?.end();
    await database?.drop();
  });

  async function terminateLibraryConnections(): Promise<number> {
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
       WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`,
      [APPLICATION_NAME],
    );
    return rows.filter((row) => row.terminated === true).length;
  }

  it('completes every job exactly once', async () => {
    const events = new EventRecorder(harness.queue);
    const jobs = harness.app.get(CountingJobs);
    const completedCount = () => events.events.filter((event) => event instanceof JobCompleted).length;
    try {
      const ids = await harness.queue.enqueueMany(Array.from({ length: JOB_COUNT }, (_, index) => ({ type: 'counted', args: { index } })));

      const terminated: number[] = [];
      for (const threshold of TERMINATE_AT) {
        await events.waitUntil(() => completedCount() >= threshold, 20_000);
        terminated.push(await terminateLibraryConnections());
      }
      await events.waitUntil(() => completedCount() >= JOB_COUNT, 30_000);

      expect(terminated.every((count) => count > 0)).toBe(true);
      // The terminations reached the library: as failed calls that were retried, or as idle
      // connections that the pool dropped.
      const noticed = logger.entries.filter((entry) => /retrying in|failed to claim|idle PostgreSQL connection/.test(entry.message));
      expect(noticed.length).toBeGreaterThan(0);
      for (const id of ids) {
        expect({ id, runs: jobs.runs.get(id) }).toEqual({ id, runs: 1 });
        expect({ id, completions: events.of(JobCompleted, id).length }).toEqual({ id, completions: 1 });
      }
      const counts = await harness.queue.storage.countByStatus('terminate');
      expect(counts[JobStatus.Completed]).toBe(JOB_COUNT);
      expect(unhandled).toEqual([]);
    } finally {
      events.stop();
    }
  });
});
