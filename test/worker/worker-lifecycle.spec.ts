import { Injectable } from '@nestjs/common';
import { JobCompleted, JobHandler, JobStarted, JobStatus, type JobContext } from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp } from '../support/test-app.js';

/** A handler that blocks until the test opens its gate. */
@Injectable()
class GatedJobs {
  active = 0;
  maxActive = 0;
  signals = new Map<string, AbortSignal>();
  private gates = new Map<string, { promise: Promise<void>; open: () => void }>();

  /** Opens the gate of a job, whether or not its handler has reached it yet. */
  open(id: string): void {
    this.gate(id).open();
  }

  private gate(id: string): { promise: Promise<void>; open: () => void } {
    let gate = this.gates.get(id);
    if (!gate) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
      this.gates.set(id, gate);
    }
    return gate;
  }

  @JobHandler('gated', { queue: 'limited' })
  async gated(_args: unknown, ctx: JobContext): Promise<string> {
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.signals.set(ctx.jobId, ctx.signal);
    await this.gate(ctx.jobId).promise;
    this.active -= 1;
    return 'opened';
  }

  @JobHandler('stubborn', { queue: 'limited' })
  async stubborn(_args: unknown, ctx: JobContext): Promise<void> {
    this.signals.set(ctx.jobId, ctx.signal);
    // Ignores its signal on purpose: shutdown must not wait for it forever.
    await new Promise(() => undefined);
  }
}

describe.each(testDialects())('worker lifecycle on %s', (dialect) => {
  it('never runs more jobs of a queue than its concurrency', async () => {
    const harness = await createTestApp(dialect, {
      providers: [GatedJobs],
      options: { workers: [{ ...FAST_WORKER, queues: { limited: { concurrency: 2 } } }] },
    });
    const events = new EventRecorder(harness.queue);
    const jobs = harness.app.get(GatedJobs);
    try {
      const ids = await harness.queue.enqueueMany(Array.from({ length: 5 }, () => ({ type: 'gated', args: {} })));
      for (let finished = 0; finished < ids.length; finished += 1) {
        const started = await waitForStarted(events, ids, finished + 1);
        expect(jobs.active).toBeLessThanOrEqual(2);
        jobs.open(started);
        await events.waitFor(JobCompleted, started);
      }
      expect(jobs.maxActive).toBe(2);
      const counts = await harness.queue.storage.countByStatus('limited');
      expect(counts.completed).toBe(5);
    } finally {
      events.stop();
      await harness.close();
    }
  });

  it('drains running jobs at shutdown', async () => {
    const harness = await createTestApp(dialect, { providers: [GatedJobs] });
    const events = new EventRecorder(harness.queue);
    const jobs = harness.app.get(GatedJobs);
    const id = await harness.queue.enqueue('gated', {});
    await events.waitFor(JobStarted, id);

    const closing = harness.app.close();
    jobs.open(id);
    await closing;
    events.stop();

    const reader = await createTestApp(dialect, { database: harness.database, options: { workers: [] } });
    try {
      const stored = await reader.queue.getJob(id);
      expect(stored?.status).toBe(JobStatus.Completed);
      expect(stored?.result).toBe('opened');
      expect(jobs.signals.get(id)?.aborted).toBe(false);
    } finally {
      await reader.close();
      await harness.database.drop();
    }
  });

  it('aborts handlers after the shutdown timeout and returns their jobs to pending', async () => {
    const harness = await createTestApp(dialect, {
      providers: [GatedJobs],
      options: { workers: [{ ...FAST_WORKER, shutdownTimeout: 100 }] },
    });
    const events = new EventRecorder(harness.queue);
    const jobs = harness.app.get(GatedJobs);
    const id = await harness.queue.enqueue('stubborn', {}, { retries: 0 });
    await events.waitFor(JobStarted, id);

    await harness.app.close();
    events.stop();
    expect(jobs.signals.get(id)?.aborted).toBe(true);

    const reader = await createTestApp(dialect, { database: harness.database, options: { workers: [] } });
    try {
      const stored = await reader.queue.getJob(id);
      expect(stored?.status).toBe(JobStatus.Pending);
      expect(stored?.attempt).toBe(0);
      expect(stored?.lockedBy).toBeNull();
    } finally {
      await reader.close();
      await harness.database.drop();
    }
  });

  it('starts no workers when the options list none', async () => {
    const harness = await createTestApp(dialect, { providers: [GatedJobs], options: { workers: [] } });
    try {
      expect(harness.queue.allWorkers()).toHaveLength(0);
      const id = await harness.queue.enqueue('gated', {});
      expect((await harness.queue.getJob(id))?.status).toBe(JobStatus.Pending);
    } finally {
      await harness.close();
    }
  });

  it('runs a worker made with queue.newWorker', async () => {
    const harness = await createTestApp(dialect, { options: { workers: [] } });
    const events = new EventRecorder(harness.queue);
    try {
      harness.queue.register('manual-echo', (args: { value: number }) => args.value + 1, { queue: 'manual' });
      const worker = harness.queue.newWorker({ ...FAST_WORKER, queues: ['manual'], concurrency: 3 });
      const stopped = worker.start();
      expect(worker.queues.get('manual')).toBe(3);

      const id = await harness.queue.enqueue('manual-echo', { value: 41 });
      expect((await events.waitFor(JobCompleted, id)).result).toBe(42);
      await worker.stop();
      await stopped;
      expect(worker.runningJobCount()).toBe(0);
    } finally {
      events.stop();
      await harness.close();
    }
  });
});

/** Waits until `count` of the ids have started and returns the one that started last. */
async function waitForStarted(events: EventRecorder, ids: string[], count: number): Promise<string> {
  const started = () => events.events.filter((event): event is JobStarted => event instanceof JobStarted && ids.includes(event.jobId));
  await events.waitUntil(() => started().length >= count);
  return started()[count - 1].jobId;
}
