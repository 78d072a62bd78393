import { parseDuration } from '../common/duration.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { WorkerOptions } from '../interfaces/worker-options.interface.js';
import { MAX_TIMER_DELAY_MS } from './schedule-clock.js';

export const DEFAULT_SCHEDULER_POLL_INTERVAL_MS = 1_000;

/** The scheduler settings of a worker that runs one. */
export interface ResolvedSchedulerOptions {
  pollIntervalMs: number;
}

/** Checks the scheduler options of a worker; returns null when the worker runs no scheduler. */
export function resolveSchedulerOptions(options: WorkerOptions): ResolvedSchedulerOptions | null {
  const enabled = options.scheduler ?? false;
  if (typeof enabled !== 'boolean') {
    throw new InvalidOptionError('worker scheduler', enabled, 'must be true or false');
  }
  const pollIntervalMs = parseDuration(options.schedulerPollInterval ?? DEFAULT_SCHEDULER_POLL_INTERVAL_MS, 'worker schedulerPollInterval');
  if (pollIntervalMs < 1 || pollIntervalMs > MAX_TIMER_DELAY_MS) {
    throw new InvalidOptionError(
      'worker schedulerPollInterval',
      options.schedulerPollInterval,
      `must be from 1ms to ${MAX_TIMER_DELAY_MS}ms (about 24.8 days), the longest delay setTimeout supports`,
    );
  }
  return enabled ? { pollIntervalMs } : null;
}
