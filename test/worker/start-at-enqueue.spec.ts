import { jest } from '@jest/globals';
import {
  CustomEvent,
  DuplicateJobError,
  JobCompleted,
  JobEnqueued,
  JobStarted,
  JobStatus,
  PauseMode,
  type JobContext,
  type Worker,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

// A job enqueued while a worker of the same process has a free slot on its queue is inserted
// already claimed by that worker and starts without a claim.
describe.each(testDialects())('start at enqueue on %s', (dialect) => {
  let harness: TestApp;
  let events: EventRecorder;
  let worker: Worker;
  let running: Promise<void>;
  const gates = new Map<string, () => void>();

  async function startWorker(concurrency: number): Promise<void> {
    // A poll interval of a minute: only a wake-up or a start at enqueue can run a job in time.
    worker = harness.queue.newWorker({ ...FAST_WORKER, pollInterval: 60_000, concurrency, queues: ['default'] });
    const claim = harness.queue.storage.claim.bind(harness.queue.storage);
    let firstClaimReturned!: () => void;
    const idle = new Promise<void>((resolve) => (firstClaimReturned = resolve));
    const spy = jest.spyOn(harness.queue.storage, 'claim').mockImplementation(async (request) => {
      const claimed = await claim(request);
      firstClaimReturned();
      return claimed;
    });
    running = worker.start();
    await idle;
    spy.mockRestore();
  }

  beforeEach(async () => {
    harness = await createTestApp(dialect, { options: { workers: [] } });
    events = new EventRecorder(harness.queue);
    harness.queue.register('gated', async (_args: unknown, ctx: JobContext) => {
      await new Promise<void>((resolve) => {
        gates.set(ctx.jobId, resolve);
        ctx.emit('at-gate');
      });
      return 'opened';
    });
    harness.queue.register('instant', (_args: unknown, ctx: JobContext) => `attempt ${ctx.attempt}`);
  });

  afterEach(async () => {
    await worker.stop();
    await running;
    events.stop();
    await harness.close();
  });

  /** Holds every release write open until open() is called. */
  function holdReleases(): { started: Promise<void>; open: () => void; restore: () => void } {
    const storage = harness.queue.storage;
    const recordOutcomes = storage.recordOutcomes.bind(storage);
    let open!: () => void;
    const writeGate = new Promise<void>((resolve) => (open = resolve));
    let called!: () => void;
    const started = new Promise<void>((resolve) => (called = resolve));
    const spy = jest.spyOn(storage, 'recordOutcomes').mockImplementation(async (outcomes) => {
      if (outcomes.some((outcome) => outcome.kind === 'released')) {
        called();
        await writeGate;
      }
      return recordOutcomes(outcomes);
    });
    return { started, open, restore: () => spy.mockRestore() };
  }

  /** Checks that `waiting` settles only once the held release write goes through. */
  async function expectToWaitForRelease(release: ReturnType<typeof holdReleases>, waiting: Promise<unknown>): Promise<void> {
    let settled = false;
    const done = waiting.then(() => (settled = true));
    await release.started;
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    release.open();
    await done;
  }

  const atGate = (id: string) =>
    events.waitUntil(() => events.events.some((event) => event instanceof CustomEvent && event.jobId === id && event.kind === 'at-gate'));

  it('starts without a claim when idle', async () => {
    await startWorker(2);
    const claims = jest.spyOn(harness.queue.storage, 'claim');
    const id = await harness.queue.enqueue('gated', {});
    // The insert already claimed the job, so it runs before any claim could have returned.
    expect(worker.runningJobCount()).toBe(1);
    const stored = await harness.queue.getJob(id);
    expect(stored).toMatchObject({ status: JobStatus.Running, attempt: 1, lockedBy: worker.id });
    expect(stored?.startedAt).toBeInstanceOf(Date);
    expect(stored?.lockedUntil).toBeInstanceOf(Date);
    await atGate(id);
    gates.get(id)!();
    expect((await events.waitFor(JobCompleted, id)).result).toBe('opened');
    // A freed slot wakes the claim loop, so claims may follow; none of them returned this job.
    for (const result of claims.mock.results) expect(await result.value).toEqual([]);

    const kinds = events.events.filter((event) => 'jobId' in event && event.jobId === id).map((event) => event.constructor.name);
    expect(kinds.indexOf(JobEnqueued.name)).toBeLessThan(kinds.indexOf(JobStarted.name));
    claims.mockRestore();
  });

  it('leaves the job pending while its queue is paused', async () => {
    await startWorker(2);
    await harness.queue.pauseQueue('default');
    const id = await harness.queue.enqueue('instant', {});
    expect(await harness.queue.getJob(id)).toMatchObject({ status: JobStatus.Pending, attempt: 0, lockedBy: null });
    expect(worker.runningJobCount()).toBe(0);

    await harness.queue.resumeQueue('default');
    expect((await events.waitFor(JobCompleted, id)).result).toBe('attempt 1');
  });

  it('leaves the job to a claim when every slot is taken', async () => {
    await startWorker(1);
    const busy = await harness.queue.enqueue('gated', {});
    await atGate(busy);
    const waiting = await harness.queue.enqueue('instant', {});
    expect(await harness.queue.getJob(waiting)).toMatchObject({ status: JobStatus.Pending, attempt: 0 });

    gates.get(busy)!();
    expect((await events.waitFor(JobCompleted, waiting)).result).toBe('attempt 1');
  });

  it('frees the slot on a duplicate key', async () => {
    await startWorker(1);
    const holder = await harness.queue.enqueue('instant', {}, { unique: 'report-7', delay: '1h' });
    await expect(harness.queue.enqueue('instant', {}, { unique: 'report-7' })).rejects.toBeInstanceOf(DuplicateJobError);
    expect(await harness.queue.enqueue('instant', {}, { unique: 'report-7', onDuplicate: 'return-existing' })).toBe(holder);

    // With one slot, a slot kept by either duplicate would leave this job waiting for a minute.
    const next = await harness.queue.enqueue('instant', {});
    expect((await events.waitFor(JobCompleted, next)).result).toBe('attempt 1');
  });

  it('releases the job on a pause mid-insert', async () => {
    await startWorker(2);
    const storage = harness.queue.storage;
    const enqueueClaimed = storage.enqueueClaimed.bind(storage);
    const spy = jest.spyOn(storage, 'enqueueClaimed').mockImplementation(async (job, claim) => {
      const enqueued = await enqueueClaimed(job, claim);
      worker.pause(PauseMode.Graceful);
      return enqueued;
    });
    // The release write is held open, so that a waitForPause() that does not wait for it
    // would resolve while the job is still stored as running.
    const release = holdReleases();
    try {
      const id = await harness.queue.enqueue('instant', {});
      await expectToWaitForRelease(release, worker.waitForPause(5_000));
      expect(await harness.queue.getJob(id)).toMatchObject({ status: JobStatus.Pending, attempt: 0, lockedBy: null });
      expect(events.of(JobStarted, id)).toHaveLength(0);

      worker.resume();
      expect((await events.waitFor(JobCompleted, id)).result).toBe('attempt 1');
    } finally {
      spy.mockRestore();
      release.restore();
    }
  });

  it('releases the job on a stop mid-insert', async () => {
    await startWorker(2);
    const storage = harness.queue.storage;
    const enqueueClaimed = storage.enqueueClaimed.bind(storage);
    let stopped!: Promise<void>;
    const insertSpy = jest.spyOn(storage, 'enqueueClaimed').mockImplementation(async (job, claim) => {
      const enqueued = await enqueueClaimed(job, claim);
      stopped = worker.stop();
      return enqueued;
    });
    const release = holdReleases();
    try {
      const id = await harness.queue.enqueue('instant', {});
      await expectToWaitForRelease(release, stopped);
      expect(await harness.queue.getJob(id)).toMatchObject({ status: JobStatus.Pending, attempt: 0, lockedBy: null });
      expect(events.of(JobStarted, id)).toHaveLength(0);
    } finally {
      insertSpy.mockRestore();
      release.restore();
    }
  });

  it('skips timed, batched and paused cases', async () => {
    await startWorker(2);
    const spy = jest.spyOn(harness.queue.storage, 'enqueueClaimed');
    const past = await harness.queue.enqueue('instant', {}, { at: new Date(Date.now() - 1_000) });
    const [batched] = await harness.queue.enqueueMany([{ type: 'instant', args: {} }]);
    await events.waitFor(JobCompleted, past);
    await events.waitFor(JobCompleted, batched);

    worker.pause();
    const whilePaused = await harness.queue.enqueue('instant', {});
    expect(await harness.queue.getJob(whilePaused)).toMatchObject({ status: JobStatus.Pending, attempt: 0 });
    expect(spy).not.toHaveBeenCalled();
    worker.resume();
    await events.waitFor(JobCompleted, whilePaused);
    spy.mockRestore();
  });
});
