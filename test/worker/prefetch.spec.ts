import { jest } from '@jest/globals';
import {
  JobCompleted,
  JobStarted,
  JobStatus,
  type Worker,
} from '../../lib/index.js';
import type { JobOutcome } from '../../lib/storage/job-storage.interface.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

// Jobs claimed ahead of free slots wait in the worker until a slot frees, and go back to
// pending when they wait too long or the worker pauses or stops.
describe.each(testDialects())('prefetch on %s', (dialect) => {
  let harness: TestApp;
  let logger: CapturedLogger;
  let events: EventRecorder;
  let worker: Worker;
  let running: Promise<void>;
  let gate: () => void;
  let gateReached: Promise<void>;
  const released: string[] = [];
  let onRelease: () => void = () => undefined;
  const claimed = new Set<string>();
  let onClaim: () => void = () => undefined;

  beforeEach(async () => {
    logger = new CapturedLogger();
    harness = await createTestApp(dialect, { logger, options: { workers: [] } });
    events = new EventRecorder(harness.queue);
    let reached!: () => void;
    gateReached = new Promise<void>((resolve) => (reached = resolve));
    harness.queue.register('gated', async () => {
      await new Promise<void>((resolve) => {
        gate = resolve;
        reached();
      });
      return 'opened';
    });
    harness.queue.register('instant', () => 'done');
    released.length = 0;
    claimed.clear();
    const storage = harness.queue.storage;
    const claim = storage.claim.bind(storage);
    jest.spyOn(storage, 'claim').mockImplementation(async (request) => {
      const jobs = await claim(request);
      for (const job of jobs) claimed.add(job.id);
      onClaim();
      return jobs;
    });
    const recordOutcomes = storage.recordOutcomes.bind(storage);
    jest.spyOn(storage, 'recordOutcomes').mockImplementation(async (outcomes: JobOutcome[]) => {
      const written = await recordOutcomes(outcomes);
      released.push(...outcomes.filter((outcome) => outcome.kind === 'released' && written.includes(outcome.id)).map((outcome) => outcome.id));
      onRelease();
      return written;
    });
  });

  afterEach(async () => {
    gate?.();
    await worker.stop();
    await running;
    jest.restoreAllMocks();
    events.stop();
    await harness.close();
  });

  /** Resolves once `expected` jobs, or every job listed in `expected`, were returned to pending. */
  function releasesOf(expected: number | string[]): Promise<void> {
    const done = () => (typeof expected === 'number' ? released.length >= expected : expected.every((id) => released.includes(id)));
    return new Promise<void>((resolve) => {
      onRelease = () => {
        if (done()) resolve();
      };
      onRelease();
    });
  }

  /** Resolves with the jobs of `ids` claimed so far, once there is at least one. */
  function claimedAmong(ids: string[]): Promise<string[]> {
    return new Promise((resolve) => {
      onClaim = () => {
        const among = ids.filter((id) => claimed.has(id));
        if (among.length > 0) resolve(among);
      };
      onClaim();
    });
  }

  /**
   * Enqueues instant jobs, then a gated one, then `behind` more instant jobs, in one batch.
   * The instant jobs ahead raise the prefetch pace, so that jobs behind the gated one are
   * claimed while it has the only slot.
   */
  async function blockedBatch(behind: number): Promise<{ gated: string; waiting: string[] }> {
    const ids = await harness.queue.enqueueMany([
      ...Array.from({ length: 60 }, () => ({ type: 'instant', args: {} })),
      { type: 'gated', args: {} },
      ...Array.from({ length: behind }, () => ({ type: 'instant', args: {} })),
    ]);
    return { gated: ids[60], waiting: ids.slice(61) };
  }

  function startWorker(options: { prefetch: number; prefetchTimeout?: number; concurrency?: number }): void {
    worker = harness.queue.newWorker({ ...FAST_WORKER, queues: ['default'], concurrency: 1, ...options });
    running = worker.start();
  }

  it('runs no more handlers than its concurrency', async () => {
    let active = 0;
    let maxActive = 0;
    harness.queue.register('counted', async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setImmediate(resolve));
      active -= 1;
    });
    const claims = jest.mocked(harness.queue.storage.claim);
    const ids = await harness.queue.enqueueMany(Array.from({ length: 300 }, () => ({ type: 'counted', args: {} })));
    startWorker({ prefetch: 20, concurrency: 3 });
    await Promise.all(ids.map((id) => events.waitFor(JobCompleted, id)));

    expect(maxActive).toBeLessThanOrEqual(3);
    // Some claim took more jobs than there were slots: those waited in the buffer.
    expect(claims.mock.calls.some(([request]) => request.limit > 3)).toBe(true);
    expect(events.events.filter((event) => event instanceof JobCompleted)).toHaveLength(300);
  });

  it('releases jobs that waited too long', async () => {
    startWorker({ prefetch: 5, prefetchTimeout: 100 });
    const { gated, waiting } = await blockedBatch(5);
    await gateReached;
    await releasesOf(1);

    const stored = await Promise.all(released.map((id) => harness.queue.getJob(id)));
    for (const job of stored) expect(job).toMatchObject({ status: JobStatus.Pending, attempt: 0, lockedBy: null });
    for (const id of released) expect(waiting).toContain(id);
    for (const id of released) expect(events.of(JobStarted, id)).toHaveLength(0);

    gate();
    await events.waitFor(JobCompleted, gated);
    const completed = await Promise.all(waiting.map((id) => events.waitFor(JobCompleted, id)));
    for (const event of completed) expect(event.job.attempt).toBe(1);
  });

  it('returns waiting jobs when the worker pauses', async () => {
    // A timeout longer than the test: only the pause can return the jobs.
    startWorker({ prefetch: 5, prefetchTimeout: 60_000 });
    const { gated, waiting } = await blockedBatch(5);
    await gateReached;
    const claimedBehind = await claimedAmong(waiting);

    worker.pause();
    // Released while the gated job still runs: the pause does not wait for it.
    await releasesOf(claimedBehind);
    gate();
    // A claim in flight when the pause came gives its jobs back too; waitForPause waits for it.
    await worker.waitForPause(5_000);
    expect((await harness.queue.getJob(gated))?.status).toBe(JobStatus.Completed);
    for (const id of claimedBehind) {
      expect(await harness.queue.getJob(id)).toMatchObject({ status: JobStatus.Pending, attempt: 0 });
    }

    worker.resume();
    await Promise.all(waiting.map((id) => events.waitFor(JobCompleted, id)));
  });

  it('returns waiting jobs when the worker stops', async () => {
    startWorker({ prefetch: 5, prefetchTimeout: 60_000 });
    const { gated, waiting } = await blockedBatch(5);
    await gateReached;
    const claimedBehind = await claimedAmong(waiting);

    const stopped = worker.stop();
    // Only the gated handler runs; the prefetched jobs behind it are not counted.
    const stopping = logger.entries.filter((entry) => entry.message.includes('stopping: waiting up to'));
    expect(stopping).toHaveLength(1);
    expect(stopping[0].message).toMatch(/for 1 running job\(s\)$/);
    await releasesOf(claimedBehind);
    gate();
    await stopped;
    expect((await harness.queue.getJob(gated))?.status).toBe(JobStatus.Completed);
    for (const id of claimedBehind) {
      expect(await harness.queue.getJob(id)).toMatchObject({ status: JobStatus.Pending, attempt: 0 });
      expect(events.of(JobStarted, id)).toHaveLength(0);
    }
  });

  it('validates the prefetch options', () => {
    expect(() => harness.queue.newWorker({ prefetch: -1 })).toThrow('worker prefetch');
    expect(() => harness.queue.newWorker({ prefetch: 1.5 })).toThrow('must be an integer');
    expect(() => harness.queue.newWorker({ prefetchTimeout: 0 })).toThrow('set prefetch: 0 to turn prefetching off');
    startWorker({ prefetch: 0 });
  });
});
