// Drain throughput of no-op jobs enqueued beforehand: one process at a given concurrency,
// and several worker processes that all start on one message from the parent. Rates come
// from the database clock, first claim to last completion (see completedWindow).
import { completedWindow, countCompleted } from './databases.mjs';
import { completionOf, enqueueBatches, openQueue, perSecond, sleep } from './common.mjs';
import { forkWorkers } from './processes.mjs';

const ENQUEUE_BATCH = 5_000;
const POLL_MS = 100;

export async function measureDrain(target, { jobs, concurrency }) {
  const { storage, queue } = await openQueue(target);
  queue.register('noop', () => undefined);
  try {
    await enqueueBatches(queue, 'noop', jobs, ENQUEUE_BATCH);
    const worker = queue.newWorker({ concurrency, queues: ['default'] });
    const done = completionOf(queue, 'noop', jobs);
    const running = worker.start();
    try {
      await done;
    } finally {
      await worker.stop();
      await running;
    }
    return { jobs, concurrency, ...(await drainRate(target, jobs)) };
  } finally {
    await storage.close();
  }
}

export async function measureMultiProcessDrain(target, { jobs, processes, concurrency, timeoutMs }) {
  const { storage, queue } = await openQueue(target);
  queue.register('noop', () => undefined);
  await enqueueBatches(queue, 'noop', jobs, ENQUEUE_BATCH);
  await storage.close();

  const workers = await forkWorkers(processes, { connection: target.connection, concurrency, handler: 'noop' });
  try {
    const started = Promise.all(workers.map((worker) => worker.next('started')));
    for (const worker of workers) worker.send({ type: 'start' });
    await started;
    const deadline = performance.now() + timeoutMs;
    while ((await countCompleted(target)) < jobs) {
      if (performance.now() > deadline) {
        throw new Error(`${processes} worker processes did not complete ${jobs} jobs within ${timeoutMs} ms`);
      }
      await sleep(POLL_MS);
    }
    await Promise.all(workers.map((worker) => worker.stop()));
  } finally {
    workers.forEach((worker) => worker.kill());
  }
  return { jobs, processes, concurrency, ...(await drainRate(target, jobs)) };
}

/** Reads the drain window from the database and checks that every job completed. */
export async function drainRate(target, expected) {
  const { completed, windowMs } = await completedWindow(target);
  if (completed < expected) throw new Error(`Expected ${expected} completed jobs, found ${completed}`);
  return { completed, seconds: windowMs / 1000, jobsPerSecond: perSecond(completed, windowMs) };
}
