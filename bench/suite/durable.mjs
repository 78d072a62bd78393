// Durable execution: workflows of five ctx.call() steps, each step a checkpoint write, and
// one parent that fans out to many sub-jobs.
import { completedWindow } from './databases.mjs';
import { WAIT_TIMEOUT_MS, completionOf, enqueueBatches, openQueue, perSecond, round, withTimeout } from './common.mjs';
import { JobCompleted, fanOut, ofKind, sub, values } from './library.mjs';

export const WORKFLOW_STEPS = 5;

export async function measureWorkflows(target, { workflows, concurrency }) {
  const { storage, queue } = await openQueue(target);
  queue.register('add-one', (args) => args.value + 1);
  queue.register('workflow', async (args, ctx) => {
    let value = 0;
    for (let step = 0; step < WORKFLOW_STEPS; step += 1) value = await ctx.call('add-one', { value });
    return value;
  });
  try {
    await enqueueBatches(queue, 'workflow', workflows, 1_000);
    const worker = queue.newWorker({ concurrency, queues: ['default'] });
    const done = completionOf(queue, 'workflow', workflows);
    const running = worker.start();
    try {
      await done;
    } finally {
      await worker.stop();
      await running;
    }
    const { completed, windowMs } = await completedWindow(target);
    return {
      workflows: completed,
      steps: completed * WORKFLOW_STEPS,
      concurrency,
      seconds: windowMs / 1000,
      stepsPerSecond: perSecond(completed * WORKFLOW_STEPS, windowMs),
    };
  } finally {
    await storage.close();
  }
}

/**
 * Measures one fan-out of `children` sub-jobs from the parent's enqueue to its completion,
 * and the peak RSS of this process, sampled every 20 ms, while it runs.
 */
export async function measureFanOut(connection, { children, concurrency }) {
  const { storage, queue } = await openQueue({ connection });
  queue.register('double', (args) => args.n * 2);
  queue.register('fan-out', async () => {
    const results = await fanOut(Array.from({ length: children }, (_, n) => sub('double', { n })));
    return values(results).length;
  });
  const worker = queue.newWorker({ concurrency, pollInterval: 50 });
  const running = worker.start();

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  let subscription;
  let count;
  let seconds;
  try {
    const started = performance.now();
    const done = new Promise((resolve) => {
      subscription = queue.events$.pipe(ofKind(JobCompleted)).subscribe((event) => {
        if (event.job.type === 'fan-out') resolve(event.result);
      });
    });
    await queue.enqueue('fan-out', {});
    count = await withTimeout(done, WAIT_TIMEOUT_MS, `completion of the fan-out parent of ${children} sub-jobs`);
    seconds = (performance.now() - started) / 1000;
  } finally {
    subscription?.unsubscribe();
    clearInterval(sampler);
    await worker.stop();
    await running;
    await storage.close();
  }
  return { children: count, concurrency, seconds: round(seconds, 2), peakRssMb: Math.round(peakRss / 1048576) };
}
