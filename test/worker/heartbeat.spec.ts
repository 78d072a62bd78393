import { jest } from '@jest/globals';
import { JobCompleted, JobReclaimed, type JobContext, type Worker } from '../../lib/index.js';
import type { JobOutcome } from '../../lib/storage/job-storage.interface.js';
import { testDialects } from '../support/databases.js';
import { newJob } from '../storage/storage-test-helpers.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

describe.each(testDialects())('heartbeat on %s', (dialect) => {
  let harness: TestApp;
  let events: EventRecorder;
  let worker: Worker;
  let running: Promise<void>;

  beforeEach(async () => {
    harness = await createTestApp(dialect, { options: { workers: [] } });
    events = new EventRecorder(harness.queue);
  });

  afterEach(async () => {
    await worker.stop();
    await running;
    jest.restoreAllMocks();
    events.stop();
    await harness.close();
  });

  /** Watches the heartbeats of the storage; next() resolves with the job ids of the next one. */
  function recordHeartbeats(): { next(): Promise<string[]> } {
    const storage = harness.queue.storage;
    let waiter: ((ids: string[]) => void) | null = null;
    const heartbeat = storage.heartbeat.bind(storage);
    jest.spyOn(storage, 'heartbeat').mockImplementation(async (workerId, lockMs, jobIds) => {
      waiter?.(jobIds ?? []);
      waiter = null;
      return heartbeat(workerId, lockMs, jobIds);
    });
    return { next: () => new Promise((resolve) => (waiter = resolve)) };
  }

  it('renews all running jobs in one call', async () => {
    const heartbeats = recordHeartbeats();
    let releaseHandlers!: () => void;
    const handlersHeld = new Promise<void>((resolve) => (releaseHandlers = resolve));
    let started = 0;
    let allStarted!: () => void;
    const everyoneRuns = new Promise<void>((resolve) => (allStarted = resolve));
    harness.queue.register('held', async () => {
      started += 1;
      if (started === 5) allStarted();
      await handlersHeld;
      return 'done';
    });
    worker = harness.queue.newWorker({ ...FAST_WORKER, heartbeatInterval: 50, concurrency: 5, queues: ['default'] });
    running = worker.start();
    const ids = await harness.queue.enqueueMany(Array.from({ length: 5 }, () => ({ type: 'held', args: {} })));
    await everyoneRuns;

    // The first heartbeat after all five started carries all five ids.
    const renewed = await heartbeats.next();
    expect([...renewed].sort()).toEqual([...ids].sort());

    releaseHandlers();
    for (const id of ids) await events.waitFor(JobCompleted, id);
  });

  it('reclaims the jobs of a lost worker in one call', async () => {
    const storage = harness.queue.storage;
    const lost = Array.from({ length: 4 }, () => newJob('orphans', { type: 'orphan' }));
    await storage.enqueue(lost);
    // A worker that claimed them and died: their locks expire after 1 ms.
    const claimed = await storage.claim({ workerId: 'lost-worker', queues: ['orphans'], limit: 10, lockMs: 1 });
    expect(claimed).toHaveLength(4);
    const reclaims: number[] = [];
    const reclaim = storage.reclaimStaleLocks.bind(storage);
    jest.spyOn(storage, 'reclaimStaleLocks').mockImplementation(async (staleAgeMs, limit) => {
      const rows = await reclaim(staleAgeMs, limit);
      reclaims.push(rows.length);
      return rows;
    });
    worker = harness.queue.newWorker({ ...FAST_WORKER, staleLockInterval: 50, staleLockAge: 1, queues: ['default'] });
    running = worker.start();

    for (const job of lost) await events.waitFor(JobReclaimed, job.id);
    expect(reclaims.filter((count) => count > 0)).toEqual([4]);
  });

  it('skips jobs whose outcome is being written', async () => {
    // The outcome write holds its rows; a heartbeat that also waited for them could deadlock.
    let releaseWrite!: () => void;
    const writeHeld = new Promise<void>((resolve) => (releaseWrite = resolve));
    let writeStarted!: () => void;
    const writing = new Promise<void>((resolve) => (writeStarted = resolve));
    const storage = harness.queue.storage;
    const recordOutcomes = storage.recordOutcomes.bind(storage);
    jest.spyOn(storage, 'recordOutcomes').mockImplementation(async (outcomes: JobOutcome[]) => {
      writeStarted();
      await writeHeld;
      return recordOutcomes(outcomes);
    });
    const heartbeats = recordHeartbeats();

    let releaseHandler!: () => void;
    const handlerHeld = new Promise<void>((resolve) => (releaseHandler = resolve));
    harness.queue.register('held', async (_args: unknown, ctx: JobContext) => {
      ctx.emit('started');
      await handlerHeld;
      return 'done';
    });
    harness.queue.register('quick', () => 'quick');
    worker = harness.queue.newWorker({ ...FAST_WORKER, heartbeatInterval: 50, concurrency: 2, queues: ['default'] });
    running = worker.start();

    const heldJob = await harness.queue.enqueue('held', {});
    const quick = await harness.queue.enqueue('quick', {});
    await writing;
    // The next heartbeat after the quick job's write began renews the held job only.
    const renewed = await heartbeats.next();
    expect(renewed).toContain(heldJob);
    expect(renewed).not.toContain(quick);

    releaseWrite();
    releaseHandler();
    expect((await events.waitFor(JobCompleted, quick)).result).toBe('quick');
    expect((await events.waitFor(JobCompleted, heldJob)).result).toBe('done');
  });
});
