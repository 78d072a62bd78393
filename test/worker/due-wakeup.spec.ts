import { JobCompleted, retryAfter, type JobContext, type Worker } from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

// With a poll interval of an hour, only a wake-up at the run time can start these jobs in time.
describe.each(testDialects())('wake-up at run time on %s', (dialect) => {
  let harness: TestApp;
  let events: EventRecorder;
  let worker: Worker;
  let running: Promise<void>;

  beforeEach(async () => {
    harness = await createTestApp(dialect, { options: { workers: [] } });
    events = new EventRecorder(harness.queue);
    worker = harness.queue.newWorker({ ...FAST_WORKER, pollInterval: '1h', queues: ['default'] });
    running = worker.start();
  });

  afterEach(async () => {
    await worker.stop();
    await running;
    events.stop();
    await harness.close();
  });

  it('starts a delayed job at its run time', async () => {
    harness.queue.register('later', () => 'ran');
    const enqueuedAt = Date.now();
    const id = await harness.queue.enqueue('later', {}, { delay: '300ms' });
    const completed = await events.waitFor(JobCompleted, id, 5_000);
    expect(completed.result).toBe('ran');
    expect(completed.job.startedAt!.getTime()).toBeGreaterThanOrEqual(enqueuedAt + 300);
  });

  it('starts a job scheduled with at', async () => {
    harness.queue.register('at-time', () => 'ran');
    const [id] = await harness.queue.enqueueMany([{ type: 'at-time', args: {}, options: { at: new Date(Date.now() + 300) } }]);
    expect((await events.waitFor(JobCompleted, id, 5_000)).result).toBe('ran');
  });

  it('starts a retry at its run time', async () => {
    harness.queue.register('flaky', (_args: unknown, ctx: JobContext) => {
      if (ctx.attempt === 1) throw retryAfter('300ms', new Error('not yet'));
      return `attempt ${ctx.attempt}`;
    });
    const id = await harness.queue.enqueue('flaky', {});
    expect((await events.waitFor(JobCompleted, id, 5_000)).result).toBe('attempt 2');
  });
});
