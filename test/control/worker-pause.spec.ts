import { jest } from '@jest/globals';
import {
  CustomEvent,
  JobCompleted,
  JobStatus,
  PauseMode,
  WorkerPauseError,
  WorkerPaused,
  WorkerResumed,
  type JobContext,
  type Worker,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

describe.each(testDialects())('worker pause on %s', (dialect) => {
  let harness: TestApp;
  let events: EventRecorder;
  let worker: Worker;
  let running: Promise<void>;
  const gates = new Map<string, () => void>();
  const signals = new Map<string, AbortSignal>();

  beforeEach(async () => {
    harness = await createTestApp(dialect, { options: { workers: [] } });
    events = new EventRecorder(harness.queue);
    harness.queue.register('gated', async (_args: unknown, ctx: JobContext) => {
      signals.set(ctx.jobId, ctx.signal);
      await new Promise<void>((resolve) => {
        gates.set(ctx.jobId, resolve);
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        ctx.emit('at-gate');
      });
      return ctx.signal.aborted ? 'aborted' : 'opened';
    });
    harness.queue.register('instant', () => 'instant');
    worker = harness.queue.newWorker({ ...FAST_WORKER, concurrency: 5 });
    running = worker.start();
  });

  afterEach(async () => {
    await worker.stop();
    await running;
    events.stop();
    await harness.close();
  });

  const atGate = (id: string) =>
    events.waitUntil(() => events.events.some((event) => event instanceof CustomEvent && event.jobId === id && event.kind === 'at-gate'));

  it('lets running jobs finish after a graceful pause', async () => {
    const busy = await harness.queue.enqueue('gated', {});
    await atGate(busy);

    worker.pause(PauseMode.Graceful);
    expect(worker.isPaused()).toBe(true);
    expect(worker.pauseMode()).toBe(PauseMode.Graceful);
    expect(events.events.find((event) => event instanceof WorkerPaused)).toMatchObject({ workerId: worker.id, runningJobs: 1 });

    const waiting = await harness.queue.enqueue('instant', {});
    const paused = worker.waitForPause(5_000);
    gates.get(busy)!();
    await paused;
    expect((await events.waitFor(JobCompleted, busy)).result).toBe('opened');
    expect(worker.runningJobCount()).toBe(0);
    expect((await harness.queue.getJob(waiting))?.status).toBe(JobStatus.Pending);

    worker.resume();
    expect(worker.isPaused()).toBe(false);
    expect(worker.pauseMode()).toBeNull();
    await events.waitFor(JobCompleted, waiting);
    expect(events.events.some((event) => event instanceof WorkerResumed && event.workerId === worker.id)).toBe(true);
  });

  it('aborts running jobs after an aggressive pause and runs them again', async () => {
    const busy = await harness.queue.enqueue('gated', {});
    await atGate(busy);

    worker.pause(PauseMode.Aggressive);
    expect(signals.get(busy)?.aborted).toBe(true);
    await worker.waitForPause(5_000);
    const released = await harness.queue.getJob(busy);
    expect(released?.status).toBe(JobStatus.Pending);
    expect(released?.attempt).toBe(0);

    worker.resume();
    await events.waitUntil(
      () => events.events.filter((event) => event instanceof CustomEvent && event.jobId === busy && event.kind === 'at-gate').length === 2,
    );
    gates.get(busy)!();
    const completed = await events.waitFor(JobCompleted, busy);
    expect(completed.result).toBe('opened');
    expect(completed.job.attempt).toBe(1);
  });

  it('starts nothing from a claim that was in flight when it paused', async () => {
    const storage = harness.queue.storage;
    const claim = storage.claim.bind(storage);
    let firstSpiedClaim!: () => void;
    const spiedClaimSeen = new Promise<void>((resolve) => (firstSpiedClaim = resolve));
    const spy = jest.spyOn(storage, 'claim').mockImplementation(async (request) => {
      const claimed = await claim(request);
      firstSpiedClaim();
      if (claimed.length > 0) worker.pause(PauseMode.Graceful);
      return claimed;
    });
    try {
      // The claim loop is sequential: once a spied claim has returned, no claim that started
      // before the spy can still be in flight and take the job unobserved.
      await spiedClaimSeen;
      // enqueueMany never hands a job straight to an idle worker, so this job goes through a claim.
      const [id] = await harness.queue.enqueueMany([{ type: 'instant', args: {} }]);
      await events.waitUntil(() => events.events.some((event) => event instanceof WorkerPaused));
      await worker.waitForPause(5_000);
      const stored = await harness.queue.getJob(id);
      expect(stored?.status).toBe(JobStatus.Pending);
      expect(stored?.attempt).toBe(0);
      expect(events.of(JobCompleted, id)).toHaveLength(0);
    } finally {
      spy.mockRestore();
    }
    worker.resume();
  });

  it('rejects waitForPause when not paused or when jobs outlast the timeout', async () => {
    await expect(worker.waitForPause(10)).rejects.toThrow(`Worker ${worker.id} is not paused; call pause() first`);
    const busy = await harness.queue.enqueue('gated', {});
    await atGate(busy);
    worker.pause();
    await expect(worker.waitForPause(50)).rejects.toBeInstanceOf(WorkerPauseError);
    gates.get(busy)!();
    await worker.waitForPause(5_000);
  });

  it('cancels a job running on it', async () => {
    const busy = await harness.queue.enqueue('gated', {});
    await atGate(busy);
    expect(await worker.cancelJob(busy)).toBe(true);
    expect(signals.get(busy)?.aborted).toBe(true);
    expect((await harness.queue.getJob(busy))?.status).toBe(JobStatus.Cancelled);
    expect(await worker.cancelJob(busy)).toBe(false);
  });
});
