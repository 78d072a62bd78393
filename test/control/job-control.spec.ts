import { Injectable } from '@nestjs/common';
import {
  CustomEvent,
  JobCancelled,
  JobCompleted,
  JobContext,
  JobHandler,
  JobNotCancellableError,
  JobNotFoundError,
  JobNotPausableError,
  JobNotPausedError,
  JobPaused,
  JobResumed,
  JobRetrying,
  JobStarted,
  JobStatus,
  JobSuspended,
  PauseMode,
  QueueAlreadyPausedError,
  QueueNotPausedError,
  QueuePaused,
  QueueResumed,
  getPausedJobs,
  getPausedQueues,
  isJobPaused,
  isQueuePaused,
  pauseJob,
  pauseQueue,
  resumeJob,
  resumeQueue,
  sub,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

@Injectable()
class ControlJobs {
  runs = new Map<string, number>();
  signals = new Map<string, AbortSignal>();
  private gates = new Map<string, () => void>();

  count(key: string): number {
    const runs = (this.runs.get(key) ?? 0) + 1;
    this.runs.set(key, runs);
    return runs;
  }

  open(id: string): void {
    this.gates.get(id)?.();
  }

  @JobHandler('quick')
  async quick(_args: unknown, ctx: JobContext): Promise<string> {
    this.count(ctx.jobId);
    return 'done';
  }

  @JobHandler('blocking', { retries: 0 })
  async blocking(_args: unknown, ctx: JobContext): Promise<string> {
    const before = await ctx.step('before-gate', () => this.count(`step:${ctx.jobId}`));
    this.count(ctx.jobId);
    this.signals.set(ctx.jobId, ctx.signal);
    await new Promise<void>((resolve) => {
      this.gates.set(ctx.jobId, resolve);
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      ctx.emit('at-gate');
    });
    if (ctx.signal.aborted) throw new Error('aborted');
    return `passed gate after step ${before}`;
  }

  @JobHandler('fails-first', { retries: 2, backoff: { initial: '1h', max: '1h', jitter: 0 } })
  async failsFirst(_args: unknown, ctx: JobContext): Promise<string> {
    if (this.count(ctx.jobId) === 1) throw new Error('first attempt fails');
    return 'second attempt';
  }

  @JobHandler('parent', { retries: 0 })
  async parent(args: { queue: string }, ctx: JobContext): Promise<number> {
    const results = await ctx.fanOut([sub('quick', {}, { queue: args.queue }), sub('quick', {}, { queue: args.queue })]);
    return results.length;
  }
}

describe.each(testDialects())('pause, resume and cancel on %s', (dialect) => {
  let harness: TestApp;
  let jobs: ControlJobs;
  let events: EventRecorder;

  beforeAll(async () => {
    harness = await createTestApp(dialect, {
      providers: [ControlJobs],
      options: { workers: [{ ...FAST_WORKER, lockCheckInterval: 50, queues: { default: { concurrency: 1 }, side: { concurrency: 5 } } }] },
    });
    jobs = harness.app.get(ControlJobs);
    events = new EventRecorder(harness.queue);
  });

  afterAll(async () => {
    events?.stop();
    await harness?.close();
  });

  it('holds a paused pending job until it is resumed', async () => {
    await harness.queue.pauseQueue('default');
    const held = await harness.queue.enqueue('quick', {});
    const after = await harness.queue.enqueue('quick', {});
    await harness.queue.pauseJob(held);
    await harness.queue.resumeQueue('default');

    await events.waitFor(JobCompleted, after);
    expect(jobs.runs.get(held)).toBeUndefined();
    expect(await harness.queue.isJobPaused(held)).toBe(true);
    expect((await harness.queue.getPausedJobs('default')).map((job) => job.id)).toContain(held);
    expect(events.of(JobPaused, held)[0]).toMatchObject({ mode: PauseMode.Graceful, previousStatus: JobStatus.Pending });

    expect(await harness.queue.resumeJob(held)).toBe(JobStatus.Pending);
    await events.waitFor(JobCompleted, held);
    expect(events.of(JobResumed, held)[0].status).toBe(JobStatus.Pending);
  });

  it('restores a paused retrying job to retrying', async () => {
    const id = await harness.queue.enqueue('fails-first', {}, { queue: 'side' });
    await events.waitFor(JobRetrying, id);
    await harness.queue.pauseJob(id);
    expect(await harness.queue.resumeJob(id)).toBe(JobStatus.Retrying);
    const stored = await harness.queue.getJob(id);
    expect(stored?.status).toBe(JobStatus.Retrying);
    expect(stored!.runAt.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
  });

  it('resumes a parent whose fan-out finished while it was paused', async () => {
    await harness.queue.pauseQueue('side');
    const id = await harness.queue.enqueue('parent', { queue: 'side' });
    await events.waitFor(JobSuspended, id);
    await harness.queue.pauseJob(id);
    await harness.queue.resumeQueue('side');
    await events.waitUntil(() => events.events.filter((event) => event instanceof JobCompleted && event.job.parentJobId === id).length === 2);
    expect((await harness.queue.getJob(id))?.status).toBe(JobStatus.Paused);

    expect(await harness.queue.resumeJob(id)).toBe(JobStatus.Pending);
    expect((await events.waitFor(JobCompleted, id)).result).toBe(2);
  });

  it('aggressive pause stops then reruns job', async () => {
    const id = await harness.queue.enqueue('blocking', {}, { queue: 'side' });
    await waitAtGate(events, id, 1);
    await expect(harness.queue.pauseJob(id)).rejects.toBeInstanceOf(JobNotPausableError);
    await expect(harness.queue.pauseJob(id)).rejects.toThrow(/is running, so a graceful pause cannot hold it; pass \{ mode: PauseMode.Aggressive \}/);

    await harness.queue.pauseJob(id, { mode: PauseMode.Aggressive });
    expect(jobs.signals.get(id)?.aborted).toBe(true);
    const paused = await harness.queue.getJob(id);
    expect(paused?.status).toBe(JobStatus.Paused);
    expect(paused?.attempt).toBe(0);
    expect(events.of(JobPaused, id)[0]).toMatchObject({ mode: PauseMode.Aggressive, previousStatus: JobStatus.Running });

    await harness.queue.resumeJob(id);
    await waitAtGate(events, id, 2);
    jobs.open(id);
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toBe('passed gate after step 1');
    expect(completed.job.attempt).toBe(1);
    expect(jobs.runs.get(`step:${id}`)).toBe(1);
  });

  it('rejects pausing or resuming in the wrong status', async () => {
    const id = await harness.queue.enqueue('quick', {}, { queue: 'side' });
    await events.waitFor(JobCompleted, id);
    await expect(harness.queue.pauseJob(id)).rejects.toThrow(`Job ${id} cannot be paused because it is completed`);
    await expect(harness.queue.resumeJob(id)).rejects.toBeInstanceOf(JobNotPausedError);
    await expect(harness.queue.pauseJob('01900000-0000-7000-8000-00000000dead')).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(harness.queue.isJobPaused('01900000-0000-7000-8000-00000000dead')).rejects.toBeInstanceOf(JobNotFoundError);

    await harness.queue.pauseQueue('side');
    const twice = await harness.queue.enqueue('quick', {}, { queue: 'side' });
    await harness.queue.pauseJob(twice);
    await expect(harness.queue.pauseJob(twice)).rejects.toThrow('cannot be paused because it is paused');
    await harness.queue.resumeQueue('side');
  });

  it('cancels a pending job so it never runs', async () => {
    await harness.queue.pauseQueue('side');
    const id = await harness.queue.enqueue('quick', {}, { queue: 'side' });
    await harness.queue.cancelJob(id);
    await harness.queue.resumeQueue('side');
    const stored = await harness.queue.getJob(id);
    expect(stored?.status).toBe(JobStatus.Cancelled);
    expect(stored?.lastError).toBe('Cancelled');
    expect(events.of(JobCancelled, id)[0].previousStatus).toBe(JobStatus.Pending);
    await expect(harness.queue.cancelJob(id)).rejects.toBeInstanceOf(JobNotCancellableError);
  });

  it('cancels a running job through its signal', async () => {
    const id = await harness.queue.enqueue('blocking', {}, { queue: 'side' });
    await waitAtGate(events, id, 1);
    await harness.queue.cancelJob(id);
    expect(jobs.signals.get(id)?.aborted).toBe(true);
    const stored = await harness.queue.getJob(id);
    expect(stored?.status).toBe(JobStatus.Cancelled);
    expect(events.of(JobCancelled, id)[0].previousStatus).toBe(JobStatus.Running);
  });

  it('cancels the fan-out children with their parent', async () => {
    await harness.queue.pauseQueue('side');
    const id = await harness.queue.enqueue('parent', { queue: 'side' });
    await events.waitFor(JobSuspended, id);
    await harness.queue.cancelJob(id);
    await harness.queue.resumeQueue('side');
    const children = (await harness.queue.storage.listJobs({ queue: 'side', limit: 1000 })).filter((job) => job.parentJobId === id);
    expect(children.map((child) => child.status)).toEqual([JobStatus.Cancelled, JobStatus.Cancelled]);
    expect(children[0].lastError).toBe(`Cancelled with its parent job ${id}`);
    expect(events.of(JobCancelled, id)[0].cancelledSubJobIds.sort()).toEqual(children.map((child) => child.id).sort());
  });

  it('ends a cancel that races completion in one final state', async () => {
    for (let round = 0; round < 15; round += 1) {
      const id = await harness.queue.enqueue('quick', {}, { queue: 'side' });
      await events.waitFor(JobStarted, id);
      const cancel = await harness.queue.cancelJob(id).then(
        () => 'cancelled',
        (error: unknown) => (error instanceof JobNotCancellableError ? 'too-late' : Promise.reject(error)),
      );
      const stored = await harness.queue.getJob(id);
      if (cancel === 'cancelled') {
        expect(stored?.status).toBe(JobStatus.Cancelled);
        expect(stored?.result).toBeNull();
        expect(events.of(JobCompleted, id)).toHaveLength(0);
      } else {
        expect(stored?.status).toBe(JobStatus.Completed);
        await events.waitFor(JobCompleted, id);
      }
    }
  });

  it('pauses and resumes queues with typed errors', async () => {
    await harness.queue.pauseQueue('reports');
    await expect(harness.queue.pauseQueue('reports')).rejects.toBeInstanceOf(QueueAlreadyPausedError);
    expect(await harness.queue.isQueuePaused('reports')).toBe(true);
    expect(await harness.queue.getPausedQueues()).toContain('reports');
    await harness.queue.resumeQueue('reports');
    await expect(harness.queue.resumeQueue('reports')).rejects.toBeInstanceOf(QueueNotPausedError);
    await expect(harness.queue.resumeQueue('reports')).rejects.toThrow('Queue "reports" is not paused, so it cannot be resumed');
    expect(await harness.queue.isQueuePaused('reports')).toBe(false);
    expect(events.events.filter((event) => event instanceof QueuePaused && event.queue === 'reports')).toHaveLength(1);
    expect(events.events.filter((event) => event instanceof QueueResumed && event.queue === 'reports')).toHaveLength(1);
  });

  it('keeps delayed jobs of a paused queue until it resumes', async () => {
    await harness.queue.pauseQueue('side');
    const id = await harness.queue.enqueue('quick', {}, { queue: 'side', at: new Date(Date.now() - 1_000) });
    const other = await harness.queue.enqueue('quick', {}, { queue: 'default' });
    await events.waitFor(JobCompleted, other);
    // A claim of the default queue ran after the enqueue; the side queue is skipped in SQL.
    const claimed = await harness.queue.storage.claim({ workerId: 'probe', queues: ['side'], limit: 10, lockMs: 1_000 });
    expect(claimed).toEqual([]);
    expect((await harness.queue.getJob(id))?.status).toBe(JobStatus.Pending);
    await harness.queue.resumeQueue('side');
    await events.waitFor(JobCompleted, id);
  });

  it('offers the same operations as standalone functions', async () => {
    const storage = harness.queue.storage;
    await pauseQueue(storage, 'standalone');
    expect(await isQueuePaused(storage, 'standalone')).toBe(true);
    expect(await getPausedQueues(storage)).toContain('standalone');
    const id = await harness.queue.enqueue('quick', {}, { queue: 'standalone' });
    await pauseJob(storage, id);
    expect(await isJobPaused(storage, id)).toBe(true);
    expect((await getPausedJobs(storage, 'standalone')).map((job) => job.id)).toEqual([id]);
    expect(await resumeJob(storage, id)).toBe(JobStatus.Pending);
    await resumeQueue(storage, 'standalone');
    expect(await isQueuePaused(storage, 'standalone')).toBe(false);
  });
});

/** Waits until the blocking handler of `id` reached its gate for the `runs`-th time. */
function waitAtGate(events: EventRecorder, id: string, runs: number): Promise<void> {
  return events.waitUntil(
    () => events.events.filter((event) => event instanceof CustomEvent && event.jobId === id && event.kind === 'at-gate').length >= runs,
  );
}
