// Enqueue-to-start latency on an idle worker with the library's default poll interval, one
// job at a time. Same process: performance.now() before enqueue() to performance.now() at
// the handler's first line. Other process: the enqueuing process puts
// performance.timeOrigin + performance.now() into the job's args just before enqueue().
// The worker process subtracts it from its own performance.timeOrigin + performance.now(),
// and both processes read the same machine clock.
import { randomUUID } from 'node:crypto';
import { openQueue, sleep, summarizeLatencies, withTimeout } from './common.mjs';
import { JOBS_TABLE } from './databases.mjs';
import { forkWorkers } from './processes.mjs';

const WARM_UP_SAMPLES = 5;
/** The library's default pollInterval; a worker in another process may wait this long. */
const DEFAULT_POLL_INTERVAL_MS = 1_000;
const SAMPLE_TIMEOUT_MS = 10_000;
const SETTLE_MS = 500;

export async function measureLatencyInProcess(target, { samples }) {
  const { storage, queue } = await openQueue(target);
  let onStart = () => undefined;
  queue.register('probe', () => onStart(performance.now()));
  const worker = queue.newWorker({ queues: ['default'] });
  const running = worker.start();
  try {
    // Lets the worker finish its first claim, so every sample finds it idle.
    await sleep(SETTLE_MS);
    await target.settle();
    const latencies = [];
    const floor = [];
    for (let index = 0; index < WARM_UP_SAMPLES + samples; index += 1) {
      await sleep(randomGapMs());
      const started = new Promise((resolve) => (onStart = resolve));
      const enqueuedAt = performance.now();
      await queue.enqueue('probe', {});
      const latency = (await withTimeout(started, SAMPLE_TIMEOUT_MS, 'start of the probe job')) - enqueuedAt;
      // The floor sample follows each library sample, so both see the server in the same state.
      await sleep(randomGapMs());
      const floorLatency = await timeCommittedInsert(target);
      if (index >= WARM_UP_SAMPLES) {
        latencies.push(latency);
        floor.push(floorLatency);
      }
    }
    return { ...summarizeLatencies(latencies), commitFloor: summarizeLatencies(floor) };
  } finally {
    await worker.stop();
    await running;
    await storage.close();
  }
}

/** Returns the idle gap before each same-process sample and each floor sample, in ms. */
function randomGapMs() {
  return 5 + Math.random() * 20;
}

/**
 * Times the floor under both latencies: one INSERT into the library's jobs table that commits,
 * with no library code, through a plain driver connection. An enqueue cannot start its job
 * before its own insert has committed, so the same-process figure cannot go below this one.
 * The row is inserted completed, so no worker takes it.
 */
async function timeCommittedInsert(target) {
  const insert =
    target.dialect === 'postgres'
      ? `INSERT INTO ${JOBS_TABLE} (id, type, queue, args, status, max_retries, run_at, created_at, updated_at)
         VALUES ($1, 'probe', 'default', '{}', 'completed', 0, now(), now(), now()) RETURNING id`
      : `INSERT INTO ${JOBS_TABLE} (id, type, queue, args, status, max_retries, run_at)
         VALUES (?, 'probe', 'default', '{}', 'completed', 0, 0) RETURNING id`;
  const started = performance.now();
  await target.query(insert, [randomUUID()]);
  return performance.now() - started;
}

export async function measureLatencyAcrossProcesses(target, { samples }) {
  const { storage, queue } = await openQueue(target);
  // Registered only so that enqueue() validates the type here; the other process runs it.
  queue.register('probe', () => {
    throw new Error('probe jobs run in the worker process');
  });
  const [worker] = await forkWorkers(1, { connection: target.connection, concurrency: 10, handler: 'probe' });
  let onProbe = () => undefined;
  worker.on('probe', (message) => onProbe(message.latencyMs));
  try {
    const started = worker.next('started');
    worker.send({ type: 'start' });
    await started;
    await sleep(SETTLE_MS);
    await target.settle();
    const latencies = [];
    for (let index = 0; index < WARM_UP_SAMPLES + samples; index += 1) {
      // A random gap spreads the enqueues over the worker's poll cycle. A fixed gap would put
      // every enqueue at the same point of the cycle and measure that point only.
      await sleep(20 + Math.random() * DEFAULT_POLL_INTERVAL_MS);
      const probed = new Promise((resolve) => (onProbe = resolve));
      await queue.enqueue('probe', { sentAt: performance.timeOrigin + performance.now() });
      const latency = await withTimeout(probed, SAMPLE_TIMEOUT_MS, 'start of the probe job in the worker process');
      if (index >= WARM_UP_SAMPLES) latencies.push(latency);
    }
    return { ...summarizeLatencies(latencies), pollIntervalMs: DEFAULT_POLL_INTERVAL_MS };
  } finally {
    await worker.stop().catch(() => worker.kill());
    await storage.close();
  }
}
