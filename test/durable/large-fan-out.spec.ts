import { JobCompleted, fanOut, sub, values } from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp } from '../support/test-app.js';

const CHILDREN = 10_000;

describe.each(testDialects())('10,000-child fan-out on %s', (dialect) => {
  it('completes with every result in order', async () => {
    const harness = await createTestApp(dialect, {
      options: { workers: [{ ...FAST_WORKER, concurrency: 100 }] },
    });
    const events = new EventRecorder(harness.queue);
    try {
      harness.queue.register('double', (args: { n: number }) => args.n * 2);
      harness.queue.register('fan-out-10k', async () => {
        const results = await fanOut<number>(Array.from({ length: CHILDREN }, (_, n) => sub('double', { n })));
        const doubled = values(results);
        return { count: doubled.length, inOrder: doubled.every((value, index) => value === index * 2) };
      });
      const id = await harness.queue.enqueue('fan-out-10k', {});
      const completed = await events.waitFor(JobCompleted, id, 120_000);
      expect(completed.result).toEqual({ count: CHILDREN, inOrder: true });
      const counts = await harness.queue.storage.countByStatus();
      expect(counts.completed).toBe(CHILDREN + 1);
    } finally {
      events.stop();
      await harness.close();
    }
  }, 180_000);
});

