import { Injectable } from '@nestjs/common';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import {
  JobCompleted,
  JobContext,
  JobFailed,
  JobHandler,
  JobRetrying,
  JobStatus,
  JobStarted,
  jobFromContext,
  jobIdFromContext,
  noRetry,
  retryAfter,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, createTestApp, type TestApp } from '../support/test-app.js';

const FAST_BACKOFF = { initial: 1, max: 5, jitter: 0 };

@Injectable()
class LifecycleJobs {
  runs = new Map<string, number>();

  count(id: string): number {
    const runs = (this.runs.get(id) ?? 0) + 1;
    this.runs.set(id, runs);
    return runs;
  }

  @JobHandler('echo')
  async echo(args: { value: unknown }): Promise<unknown> {
    return args.value;
  }

  @JobHandler('always-fails', { retries: 2, backoff: FAST_BACKOFF })
  async alwaysFails(_args: unknown, ctx: JobContext): Promise<void> {
    this.count(ctx.jobId);
    throw new Error(`boom on attempt ${ctx.attempt}`);
  }

  @JobHandler('fails-once', { backoff: FAST_BACKOFF })
  async failsOnce(_args: unknown, ctx: JobContext): Promise<string> {
    if (this.count(ctx.jobId) === 1) throw new Error('transient');
    return 'recovered';
  }

  @JobHandler('no-retry', { retries: 5, backoff: FAST_BACKOFF })
  async noRetryHandler(_args: unknown, ctx: JobContext): Promise<void> {
    this.count(ctx.jobId);
    throw noRetry(new Error('permanent'));
  }

  @JobHandler('retry-after', { retries: 1 })
  async retryAfterHandler(_args: unknown, ctx: JobContext): Promise<string> {
    if (this.count(ctx.jobId) === 1) throw retryAfter('50ms', new Error('rate limited'));
    return 'done';
  }

  @JobHandler('throws-non-error', { retries: 1, backoff: FAST_BACKOFF })
  async throwsNonError(args: { thrown: 'string' | 'undefined' | 'object' | 'null' }): Promise<void> {
    if (args.thrown === 'string') throw 'plain string';
    if (args.thrown === 'undefined') throw undefined;
    if (args.thrown === 'null') throw null;
    throw { code: 42, reason: 'plain object' };
  }

  @JobHandler('context-chain')
  async contextChain(): Promise<{ viaFunction: string | undefined; viaTimer: string | undefined; type: string | undefined }> {
    const viaFunction = await deepHelper();
    const viaTimer = await new Promise<string | undefined>((resolve) => setImmediate(() => resolve(jobIdFromContext())));
    return { viaFunction, viaTimer, type: jobFromContext()?.type };
  }
}

async function deepHelper(): Promise<string | undefined> {
  await Promise.resolve();
  return jobIdFromContext();
}

describe.each(testDialects())('job lifecycle on %s', (dialect) => {
  let harness: TestApp;
  let jobs: LifecycleJobs;
  let events: EventRecorder;

  beforeAll(async () => {
    harness = await createTestApp(dialect, { providers: [LifecycleJobs] });
    jobs = harness.app.get(LifecycleJobs);
    events = new EventRecorder(harness.queue);
  });

  afterAll(async () => {
    events?.stop();
    await harness?.close();
  });

  it('returns a UUIDv7 id and completes with the result', async () => {
    const id = await harness.queue.enqueue('echo', { value: { nested: [1, 'two', null] } });
    expect(isUuid(id)).toBe(true);
    expect(uuidVersion(id)).toBe(7);

    const event = await events.waitFor(JobCompleted, id);
    expect(event.jobId).toBe(id);
    expect(event.durationMs).toBeGreaterThanOrEqual(0);
    const stored = await harness.queue.getJob(id);
    expect(stored?.status).toBe(JobStatus.Completed);
    expect(stored?.result).toEqual({ nested: [1, 'two', null] });
    expect(stored?.attempt).toBe(1);
    expect(stored?.completedAt).toBeInstanceOf(Date);
  });

  it('runs retries + 1 times, then fails', async () => {
    const id = await harness.queue.enqueue('always-fails', {});

    const failure = await events.waitFor(JobFailed, id);
    const retryEvents = events.of(JobRetrying, id);
    expect(retryEvents.map((event) => event.attempt)).toEqual([1, 2]);
    expect(retryEvents[0].nextRunAt).toBeInstanceOf(Date);
    expect(failure.jobId).toBe(id);
    expect(failure.error).toBe('boom on attempt 3');
    expect(jobs.runs.get(id)).toBe(3);
    const stored = await harness.queue.getJob(id);
    expect(stored?.status).toBe(JobStatus.Failed);
    expect(stored?.attempt).toBe(3);
    expect(stored?.lastError).toBe('boom on attempt 3');
  });

  it('runs once with retries: 0', async () => {
    const id = await harness.queue.enqueue('always-fails', {}, { retries: 0 });
    await events.waitFor(JobFailed, id);
    expect(jobs.runs.get(id)).toBe(1);
    expect((await harness.queue.getJob(id))?.maxRetries).toBe(0);
  });

  it('defaults to three retries', async () => {
    const id = await harness.queue.enqueue('fails-once', {});
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toBe('recovered');
    const stored = await harness.queue.getJob(id);
    expect(stored?.maxRetries).toBe(3);
    expect(stored?.attempt).toBe(2);
    expect(stored?.lastError).toBe('transient');
  });

  it('fails at once on noRetry', async () => {
    const id = await harness.queue.enqueue('no-retry', {});
    const failed = await events.waitFor(JobFailed, id);
    expect(failed.error).toBe('permanent');
    expect(jobs.runs.get(id)).toBe(1);
  });

  it('waits the retryAfter delay before the retry', async () => {
    const id = await harness.queue.enqueue('retry-after', {});
    const retry = await events.waitFor(JobRetrying, id);
    expect(retry.nextRunAt.getTime() - retry.timestamp.getTime()).toBeGreaterThanOrEqual(45);
    await events.waitFor(JobCompleted, id);
    const stored = await harness.queue.getJob(id);
    expect(stored!.startedAt!.getTime() - retry.timestamp.getTime()).toBeGreaterThanOrEqual(40);
  });

  it.each(['string', 'undefined', 'object', 'null'] as const)('fails readably when a handler throws a %s', async (thrown) => {
    const id = await harness.queue.enqueue('throws-non-error', { thrown });
    const retried = await events.waitFor(JobRetrying, id);
    const failed = await events.waitFor(JobFailed, id);
    const expected = {
      string: 'plain string',
      undefined: 'undefined was thrown',
      null: 'null was thrown',
      object: 'non-Error value thrown: {"code":42,"reason":"plain object"}',
    }[thrown];
    expect(retried.error).toBe(expected);
    expect(failed.error).toBe(expected);
    expect((await harness.queue.getJob(id))?.lastError).toBe(expected);
  });

  it('emits JobStarted before JobCompleted', async () => {
    const id = await harness.queue.enqueue('echo', { value: 1 });
    await events.waitFor(JobCompleted, id);
    const kinds = events.events
      .filter((event) => (event instanceof JobStarted || event instanceof JobCompleted) && event.jobId === id)
      .map((event) => event.kind);
    expect(kinds).toEqual(['job.started', 'job.completed']);
  });

  it('finds the job through its async call chain', async () => {
    const id = await harness.queue.enqueue('context-chain', {});
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toEqual({ viaFunction: id, viaTimer: id, type: 'context-chain' });
    expect(jobIdFromContext()).toBeUndefined();
    expect(jobFromContext()).toBeUndefined();
  });

  it('fails a job whose type has no handler and keeps working', async () => {
    const orphan = await harness.queue.enqueue('nobody-handles-this', {}, { retries: 0 });
    const failed = await events.waitFor(JobFailed, orphan);
    expect(failed.error).toContain('No handler for job type "nobody-handles-this"');

    const next = await harness.queue.enqueue('echo', { value: 'still alive' });
    const completed = await events.waitFor(JobCompleted, next);
    expect(completed.result).toBe('still alive');
  });
});
