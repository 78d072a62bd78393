import { Injectable } from '@nestjs/common';
import Database from 'better-sqlite3';
import {
  JobCompleted,
  JobHandler,
  JobLockLost,
  JobReclaimed,
  JobStarted,
  JobStatus,
  type JobContext,
} from '../../lib/index.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { createTestDatabase, testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp } from '../support/test-app.js';

/** Runs each job once behind a gate the test opens; later runs finish at once. */
@Injectable()
class GatedJobs {
  readonly runs = new Map<string, number>();
  private readonly gates = new Map<string, () => void>();
  private readonly waiting = new Map<string, Promise<void>>();

  open(id: string): void {
    this.gate(id);
    this.gates.get(id)?.();
  }

  private gate(id: string): Promise<void> {
    let promise = this.waiting.get(id);
    if (!promise) {
      promise = new Promise<void>((resolve) => this.gates.set(id, resolve));
      this.waiting.set(id, promise);
    }
    return promise;
  }

  @JobHandler('gated-write', { queue: 'busy' })
  async run(_args: unknown, ctx: JobContext): Promise<string> {
    const runs = (this.runs.get(ctx.jobId) ?? 0) + 1;
    this.runs.set(ctx.jobId, runs);
    if (runs === 1) await this.gate(ctx.jobId);
    return `run ${runs}`;
  }
}

// The lock holder is a second SQLite connection; PostgreSQL has no error-raising equivalent
// that the retry covers, and the PostgreSQL paths are exercised by the connection tests.
const describeSqlite = testDialects().includes('sqlite') ? describe : describe.skip;

describeSqlite('worker storage retry on sqlite', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  /** Boots an app whose SQLite connection gives up on a held write lock after 20ms. */
  async function boot(workerOverrides: Record<string, unknown>) {
    const database = await createTestDatabase('sqlite');
    const logger = new CapturedLogger();
    const harness = await createTestApp('sqlite', {
      database,
      logger,
      providers: [GatedJobs],
      options: {
        connection: { type: 'better-sqlite3', database: database.location, timeout: 20 },
        workers: [{ ...FAST_WORKER, queues: ['busy'], ...workerOverrides }],
      },
    });
    const events = new EventRecorder(harness.queue);
    const holder = new Database(database.location);
    return {
      harness,
      logger,
      events,
      holder,
      jobs: harness.app.get(GatedJobs),
      close: async () => {
        if (holder.inTransaction) holder.exec('ROLLBACK');
        holder.close();
        events.stop();
        await harness.close();
        await database.drop();
      },
    };
  }

  it('retries an outcome write until the lock is free', async () => {
    const setup = await boot({ storageRetry: { maxAttempts: 100, initialBackoff: 10, maxBackoff: 50 } });
    try {
      const id = await setup.harness.queue.enqueue('gated-write', {});
      await setup.events.waitFor(JobStarted, id);
      setup.holder.exec('BEGIN IMMEDIATE');

      setup.jobs.open(id);
      await setup.logger.waitFor('warn', new RegExp(`failed to record the outcome of job ${id} \\(attempt 1 of 100\\), retrying`));
      setup.holder.exec('COMMIT');

      const completed = await setup.events.waitFor(JobCompleted, id);
      expect(completed.result).toBe('run 1');
      expect(setup.jobs.runs.get(id)).toBe(1);
      expect((await setup.harness.queue.getJob(id))?.status).toBe(JobStatus.Completed);
      expect(setup.logger.matching('error', /failed to record/)).toHaveLength(0);
      expect(unhandled).toEqual([]);
    } finally {
      await setup.close();
    }
  });

  it('leaves a job whose outcome write failed to the stale-lock reaper', async () => {
    const setup = await boot({
      storageRetry: { maxAttempts: 2, initialBackoff: 10, maxBackoff: 10 },
      lockDuration: 1_000,
      heartbeatInterval: 200,
      staleLockInterval: 200,
      staleLockAge: 200,
    });
    try {
      const id = await setup.harness.queue.enqueue('gated-write', {});
      await setup.events.waitFor(JobStarted, id);
      setup.holder.exec('BEGIN IMMEDIATE');

      setup.jobs.open(id);
      const failure = await setup.logger.waitFor('error', new RegExp(`failed to record the completed outcome of job ${id}`));
      setup.holder.exec('COMMIT');
      expect(failure.message).toContain('gave up after 2 attempts');
      const stranded = await setup.harness.queue.getJob(id);
      expect(stranded?.status).toBe(JobStatus.Running);
      expect(stranded?.attempt).toBe(1);

      const reclaimed = await setup.events.waitFor(JobReclaimed, id);
      expect(reclaimed.attempt).toBe(1);
      expect(reclaimed.failed).toBe(false);
      // Only the reclaim lets the job run again; until then the worker left it alone.
      expect(setup.jobs.runs.get(id)).toBe(1);
      const completed = await setup.events.waitFor(JobCompleted, id);
      expect(completed.result).toBe('run 2');
      const stored = await setup.harness.queue.getJob(id);
      expect(stored?.status).toBe(JobStatus.Completed);
      expect(stored?.attempt).toBe(2);
      expect(setup.events.of(JobLockLost, id)).toHaveLength(0);
      expect(unhandled).toEqual([]);
    } finally {
      await setup.close();
    }
  });
});
