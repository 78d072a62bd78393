import { jest } from '@jest/globals';
import { JobCompleted, type JobContext, type Worker } from '../../lib/index.js';
import type { JobOutcome } from '../../lib/storage/job-storage.interface.js';
import { testDialects } from '../support/databases.js';
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
    const heartbeats: string[][] = [];
    let onHeartbeat: () => void = () => undefined;
    const heartbeat = storage.heartbeat.bind(storage);
    jest.spyOn(storage, 'heartbeat').mockImplementation(async (workerId, lockMs, jobIds) => {
      heartbeats.push(jobIds ?? []);
      onHeartbeat();
      return heartbeat(workerId, lockMs, jobIds);
    });

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
    heartbeats.length = 0;
    await new Promise<void>((resolve) => {
      onHeartbeat = resolve;
    });
    expect(heartbeats[0]).toContain(heldJob);
    expect(heartbeats[0]).not.toContain(quick);

    releaseWrite();
    releaseHandler();
    expect((await events.waitFor(JobCompleted, quick)).result).toBe('quick');
    expect((await events.waitFor(JobCompleted, heldJob)).result).toBe('done');
  });
});
