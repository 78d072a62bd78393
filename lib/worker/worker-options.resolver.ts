import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { parseDuration } from '../common/duration.js';
import { assertInteger, assertValidName } from '../common/names.js';
import { DEFAULT_QUEUE } from '../durable-jobs.constants.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { WorkerOptions } from '../interfaces/worker-options.interface.js';
import { resolveSchedulerOptions, type ResolvedSchedulerOptions } from '../scheduling/scheduler-options.js';
import { resolveWorkerRetry, type ResolvedWorkerRetry } from './worker-retry.resolver.js';

export const DEFAULT_CONCURRENCY = 10;
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
export const DEFAULT_LOCK_DURATION_MS = 30_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
export const DEFAULT_COMPLETION_WINDOW_MS = 2;
/** Maximum jobs a queue prefetches by default; how many it keeps follows its pace. */
export const DEFAULT_PREFETCH = 100;
export const DEFAULT_PREFETCH_TIMEOUT_MS = 1_000;
/** Short enough that a cancel reaches a running handler in any process within about a second. */
export const DEFAULT_LOCK_CHECK_INTERVAL_MS = 500;
/**
 * Stale-lock defaults. Heartbeats renew a live worker's locks every 10 s, so a lock expires
 * only after three missed heartbeats; 30 s more absorbs a long GC pause or a slow database
 * before another worker takes the job over. A crashed worker's jobs are therefore running
 * again within about lockDuration + staleLockAge + staleLockInterval, 75 s by default.
 */
export const DEFAULT_STALE_LOCK_INTERVAL_MS = 15_000;
export const DEFAULT_STALE_LOCK_AGE_MS = 30_000;

/** Worker options with defaults applied and every value checked. */
export interface ResolvedWorkerOptions extends ResolvedWorkerRetry {
  id: string;
  /** Concurrency by queue name; null until bootstrap when the queues come from the handlers. */
  queues: Map<string, number> | null;
  concurrency: number;
  pollIntervalMs: number;
  lockDurationMs: number;
  heartbeatIntervalMs: number;
  shutdownTimeoutMs: number;
  lockCheckIntervalMs: number;
  completionWindowMs: number;
  /** Most jobs claimed ahead per queue. */
  prefetch: number;
  prefetchTimeoutMs: number;
  /** 0 disables the stale-lock reaper. */
  staleLockIntervalMs: number;
  staleLockAgeMs: number;
  /** null when the worker runs no scheduler. */
  scheduler: ResolvedSchedulerOptions | null;
}

export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  const name = options.name === undefined ? 'worker' : assertValidName('worker name', options.name);
  const concurrency = assertInteger('worker concurrency', options.concurrency ?? DEFAULT_CONCURRENCY, 1, 10_000);
  const lockDurationMs = parseDuration(options.lockDuration ?? DEFAULT_LOCK_DURATION_MS, 'worker lockDuration');
  const heartbeatIntervalMs = parseDuration(
    options.heartbeatInterval ?? Math.min(DEFAULT_HEARTBEAT_INTERVAL_MS, Math.floor(lockDurationMs / 3)),
    'worker heartbeatInterval',
  );
  if (lockDurationMs < 100) {
    throw new InvalidOptionError('worker lockDuration', options.lockDuration, 'must be at least 100ms');
  }
  if (heartbeatIntervalMs <= 0 || heartbeatIntervalMs >= lockDurationMs) {
    throw new InvalidOptionError(
      'worker heartbeatInterval',
      options.heartbeatInterval,
      `must be above 0 and below lockDuration (${lockDurationMs}ms), or leases expire between heartbeats`,
    );
  }
  const prefetchTimeoutMs = parseDuration(options.prefetchTimeout ?? DEFAULT_PREFETCH_TIMEOUT_MS, 'worker prefetchTimeout');
  if (prefetchTimeoutMs < 1) {
    throw new InvalidOptionError('worker prefetchTimeout', options.prefetchTimeout, 'must be at least 1ms; set prefetch: 0 to turn prefetching off');
  }
  const pollIntervalMs = parseDuration(options.pollInterval ?? DEFAULT_POLL_INTERVAL_MS, 'worker pollInterval');
  if (pollIntervalMs < 1) throw new InvalidOptionError('worker pollInterval', options.pollInterval, 'must be at least 1ms');

  return {
    id: `${name}@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    queues: options.queues === undefined ? null : resolveQueues(options.queues, concurrency),
    concurrency,
    pollIntervalMs,
    lockDurationMs,
    heartbeatIntervalMs,
    shutdownTimeoutMs: parseDuration(options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, 'worker shutdownTimeout'),
    completionWindowMs: parseDuration(options.completionWindow ?? DEFAULT_COMPLETION_WINDOW_MS, 'worker completionWindow'),
    prefetch: assertInteger('worker prefetch', options.prefetch ?? DEFAULT_PREFETCH, 0, 10_000),
    prefetchTimeoutMs,
    lockCheckIntervalMs: parseDuration(options.lockCheckInterval ?? DEFAULT_LOCK_CHECK_INTERVAL_MS, 'worker lockCheckInterval'),
    staleLockIntervalMs: parseDuration(options.staleLockInterval ?? DEFAULT_STALE_LOCK_INTERVAL_MS, 'worker staleLockInterval'),
    staleLockAgeMs: parseDuration(options.staleLockAge ?? DEFAULT_STALE_LOCK_AGE_MS, 'worker staleLockAge'),
    scheduler: resolveSchedulerOptions(options),
    ...resolveWorkerRetry(options),
  };
}

function resolveQueues(queues: WorkerOptions['queues'], concurrency: number): Map<string, number> {
  const resolved = new Map<string, number>();
  if (Array.isArray(queues)) {
    for (const queue of queues) resolved.set(assertValidName('worker queue', queue), concurrency);
  } else if (queues !== null && typeof queues === 'object') {
    for (const [queue, settings] of Object.entries(queues)) {
      const own = settings?.concurrency ?? concurrency;
      resolved.set(assertValidName('worker queue', queue), assertInteger(`concurrency of queue "${queue}"`, own, 1, 10_000));
    }
  } else {
    throw new InvalidOptionError('worker queues', queues, 'must be an array of queue names or an object of queue settings');
  }
  if (resolved.size === 0) {
    throw new InvalidOptionError('worker queues', queues, `must name at least one queue, such as ['${DEFAULT_QUEUE}']`);
  }
  return resolved;
}
