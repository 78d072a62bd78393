import { jest } from '@jest/globals';
import { JobCompleted, JobFailed, JobRetrying, type Worker } from '../../lib/index.js';
import type { JobOutcome } from '../../lib/storage/job-storage.interface.js';
import { OutcomeBuffer } from '../../lib/worker/outcome-buffer.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

function completed(id: string): JobOutcome {
  return { id, workerId: 'worker-1', attempt: 1, kind: 'completed', resultJson: 'null' };
}

describe('OutcomeBuffer', () => {
  it('writes outcomes recorded together in one call', async () => {
    const write = jest.fn(async (outcomes: JobOutcome[]) => new Set(outcomes.map((outcome) => outcome.id)));
    const buffer = new OutcomeBuffer(write, 60_000, 100);
    const recorded = ['a', 'b', 'c'].map((id) => buffer.record(completed(id)));
    buffer.flush();

    await expect(Promise.all(recorded)).resolves.toEqual([true, true, true]);
    expect(write).toHaveBeenCalledTimes(1);
    expect(write.mock.calls[0][0].map((outcome) => outcome.id)).toEqual(['a', 'b', 'c']);
  });

  it('writes at once when the batch is full', async () => {
    const write = jest.fn(async (outcomes: JobOutcome[]) => new Set(outcomes.map((outcome) => outcome.id)));
    const buffer = new OutcomeBuffer(write, 60_000, 2);
    const first = buffer.record(completed('a'));
    const second = buffer.record(completed('b'));

    expect(write).toHaveBeenCalledTimes(1);
    await expect(Promise.all([first, second])).resolves.toEqual([true, true]);
    const third = buffer.record(completed('c'));
    expect(write).toHaveBeenCalledTimes(1);
    buffer.flush();
    await expect(third).resolves.toBe(true);
    expect(write).toHaveBeenCalledTimes(2);
  });

  it('writes when the window has passed', async () => {
    jest.useFakeTimers();
    try {
      const write = jest.fn(async (outcomes: JobOutcome[]) => new Set(outcomes.map((outcome) => outcome.id)));
      const buffer = new OutcomeBuffer(write, 50, 100);
      const recorded = buffer.record(completed('a'));
      jest.advanceTimersByTime(49);
      expect(write).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(write).toHaveBeenCalledTimes(1);
      await expect(recorded).resolves.toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reports each fenced outcome to its caller', async () => {
    // The storage returns the ids it wrote. The upper-case id checks that case is ignored.
    const write = jest.fn(async () => new Set(['a']));
    const buffer = new OutcomeBuffer(write, 60_000, 100);
    const written = buffer.record(completed('A'));
    const fenced = buffer.record(completed('b'));
    buffer.flush();

    await expect(written).resolves.toBe(true);
    await expect(fenced).resolves.toBe(false);
  });

  it('rejects every caller of a failed write', async () => {
    const failure = new Error('connection lost');
    const buffer = new OutcomeBuffer(async () => Promise.reject(failure), 60_000, 100);
    const recorded = ['a', 'b'].map((id) => buffer.record(completed(id)));
    buffer.flush();

    for (const outcome of recorded) await expect(outcome).rejects.toBe(failure);
  });
});

// Runs that end in the same turn of the event loop share one write: completions, failures
// and retries alike, each fenced on its own lock.
describe.each(testDialects())('batched outcomes on %s', (dialect) => {
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
    events.stop();
    await harness.close();
  });

  it('writes the outcomes of runs that end together in one statement', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let arrived = 0;
    let allArrived!: () => void;
    const everyoneWaits = new Promise<void>((resolve) => (allArrived = resolve));
    harness.queue.register('gated', async (args: { outcome: string }) => {
      arrived += 1;
      if (arrived === 12) allArrived();
      await gate;
      if (args.outcome === 'fail' || args.outcome === 'retry') throw new Error(`${args.outcome} on purpose`);
      return args.outcome;
    });
    // A window far longer than the runs take, so the test does not depend on the clock. The
    // retried jobs come back after an hour, long after the test.
    worker = harness.queue.newWorker({ ...FAST_WORKER, concurrency: 12, completionWindow: 500, queues: ['default'] });
    const writes = jest.spyOn(harness.queue.storage, 'recordOutcomes');
    const outcomes = Array.from({ length: 12 }, (_, index) => ['done', 'fail', 'retry'][index % 3]);
    const ids = await harness.queue.enqueueMany(
      outcomes.map((outcome) => ({ type: 'gated', args: { outcome }, options: { retries: outcome === 'retry' ? 1 : 0, backoff: { initial: '1h' } } })),
    );
    running = worker.start();
    await everyoneWaits;
    open();

    for (const [index, id] of ids.entries()) {
      if (outcomes[index] === 'done') await events.waitFor(JobCompleted, id);
      else if (outcomes[index] === 'fail') await events.waitFor(JobFailed, id);
      else await events.waitFor(JobRetrying, id);
    }
    expect(writes).toHaveBeenCalledTimes(1);
    const written = writes.mock.calls[0][0];
    expect(written.map((outcome) => outcome.id).sort()).toEqual([...ids].sort());
    expect(new Set(written.map((outcome) => outcome.kind))).toEqual(new Set(['completed', 'failed', 'retrying']));
    writes.mockRestore();
  });
});
