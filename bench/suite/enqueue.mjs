// Enqueue throughput: one enqueue() call per job, and enqueueMany() in batches.
import { enqueueBatches, openQueue, perSecond } from './common.mjs';

const WARM_UP_JOBS = 100;

export async function measureEnqueue(target, { jobs }) {
  const { storage, queue } = await openQueue(target);
  queue.register('noop', () => undefined);
  try {
    // Opens pool connections and compiles the hot code before the clock starts.
    for (let n = 0; n < WARM_UP_JOBS; n += 1) await queue.enqueue('noop', { n });
    const started = performance.now();
    for (let n = 0; n < jobs; n += 1) await queue.enqueue('noop', { n });
    return { jobs, jobsPerSecond: perSecond(jobs, performance.now() - started) };
  } finally {
    await storage.close();
  }
}

export async function measureEnqueueMany(target, { jobs, batch }) {
  const { storage, queue } = await openQueue(target);
  queue.register('noop', () => undefined);
  try {
    await enqueueBatches(queue, 'noop', batch, batch);
    const started = performance.now();
    await enqueueBatches(queue, 'noop', jobs, batch);
    return { jobs, batch, jobsPerSecond: perSecond(jobs, performance.now() - started) };
  } finally {
    await storage.close();
  }
}
