// Helpers shared by the benchmarks.
import { setTimeout as sleep } from 'node:timers/promises';
import { JobQueue, createJobStorage } from './library.mjs';

export { sleep };

/** Opens the library on a benchmark database, migrating it, with no worker yet. */
export async function openQueue(target) {
  const storage = await createJobStorage({ connection: target.connection });
  const queue = new JobQueue(storage, { workers: [] });
  return { storage, queue };
}

/** Enqueues `count` jobs of `type` with enqueueMany, `batch` jobs per call. */
export async function enqueueBatches(queue, type, count, batch) {
  for (let first = 0; first < count; first += batch) {
    const size = Math.min(batch, count - first);
    await queue.enqueueMany(Array.from({ length: size }, (_, offset) => ({ type, args: { n: first + offset } })));
  }
}

/** Upper bound of any single wait of the suite, so that a stuck run ends with an error. */
export const WAIT_TIMEOUT_MS = 300_000;

/**
 * Resolves with performance.now() once `count` jobs of `type` completed in this process, or
 * rejects after WAIT_TIMEOUT_MS.
 */
export function completionOf(queue, type, count) {
  let dispose = () => undefined;
  const completion = new Promise((resolve) => {
    let completed = 0;
    dispose = queue.onJobComplete((job) => {
      if (job.type !== type) return;
      completed += 1;
      if (completed === count) {
        dispose();
        resolve(performance.now());
      }
    });
  });
  return withTimeout(completion, WAIT_TIMEOUT_MS, `completion of ${count} ${type} jobs`).finally(dispose);
}

/** Settles like `promise`, or rejects once `timeoutMs` passed without it settling. */
export async function withTimeout(promise, timeoutMs, description) {
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for the ${description}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Returns the value below which `fraction` of the sorted samples lie (nearest rank). */
export function percentile(sorted, fraction) {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank];
}

export function summarizeLatencies(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 0.5), 2),
    p95Ms: round(percentile(sorted, 0.95), 2),
    p99Ms: round(percentile(sorted, 0.99), 2),
    maxMs: round(sorted[sorted.length - 1], 2),
  };
}

export function round(value, digits = 0) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function perSecond(count, milliseconds) {
  return Math.round(count / (milliseconds / 1000));
}

/** Writes a progress line to stderr, so stdout keeps only the table. */
export function progress(line) {
  process.stderr.write(`[bench] ${line}\n`);
}
