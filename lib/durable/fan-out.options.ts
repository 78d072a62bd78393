import { parseDuration, type Duration } from '../common/duration.js';
import { MAX_RETRIES, assertInteger, assertValidName } from '../common/names.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { EnqueueOptions } from '../interfaces/enqueue-options.interface.js';
import type { FanOutStrategyName } from '../storage/job-storage.interface.js';

/** Options of one sub-job. Unique keys are not allowed: a held key would leave the parent one sub-job short. */
export type SubOptions = Pick<EnqueueOptions, 'priority' | 'retries' | 'delay' | 'at' | 'queue' | 'backoff'>;

/** One sub-job of a fan-out, made with sub(). */
export interface SubJob<TArgs = unknown> {
  readonly type: string;
  readonly args: TArgs;
  readonly options: SubOptions;
}

/** Describes a sub-job for ctx.fanOut(); nothing is enqueued until the fan-out runs. */
export function sub<TArgs>(type: string, args: TArgs, options: SubOptions = {}): SubJob<TArgs> {
  if ((options as { unique?: unknown }).unique !== undefined) {
    throw new InvalidOptionError('sub unique', (options as { unique?: unknown }).unique, 'is not supported on sub-jobs; leave it out');
  }
  return { type, args, options };
}

/** Fan-out settings after every option was applied. */
export interface FanOutSettings {
  strategy: FanOutStrategyName;
  threshold: number | null;
  queue: string | null;
  retries: number | null;
  timeoutMs: number | null;
  cancelOnParentFailure: boolean;
}

/** A setting for ctx.fanOut(), made by failFast(), collectAll(), threshold() and the others. */
export type FanOutOption = (settings: FanOutSettings) => void;

export const DEFAULT_FAN_OUT_SETTINGS: Readonly<FanOutSettings> = Object.freeze({
  strategy: 'fail_fast',
  threshold: null,
  queue: null,
  retries: null,
  timeoutMs: null,
  cancelOnParentFailure: false,
});

/** Fails the fan-out as soon as one sub-job fails; the default. */
export function failFast(): FanOutOption {
  return (settings) => {
    settings.strategy = 'fail_fast';
    settings.threshold = null;
  };
}

/** Waits for every sub-job and returns all results, failures included. */
export function collectAll(): FanOutOption {
  return (settings) => {
    settings.strategy = 'collect_all';
    settings.threshold = null;
  };
}

/**
 * Succeeds as soon as the given share of sub-jobs succeeded, a fraction from 0 (exclusive)
 * to 1, such as 0.8 for 80%; fails as soon as that share can no longer be reached.
 */
export function threshold(share: number): FanOutOption {
  if (typeof share !== 'number' || !Number.isFinite(share) || share <= 0 || share > 1) {
    throw new InvalidOptionError('threshold', share, 'must be a fraction above 0 and at most 1, such as 0.8 for 80%');
  }
  return (settings) => {
    settings.strategy = 'threshold';
    settings.threshold = share;
  };
}

/** Puts sub-jobs that name no queue of their own on this queue. */
export function fanOutQueue(name: string): FanOutOption {
  const queue = assertValidName('fanOutQueue', name);
  return (settings) => {
    settings.queue = queue;
  };
}

/** Gives sub-jobs that set no retries of their own this many retries. */
export function fanOutRetries(retries: number): FanOutOption {
  const checked = assertInteger('fanOutRetries', retries, 0, MAX_RETRIES);
  return (settings) => {
    settings.retries = checked;
  };
}

/**
 * Fails the fan-out when it is not decided within `timeout`. Expiry is detected by the
 * workers' stale-lock round, so it fires up to one staleLockInterval late.
 */
export function fanOutTimeout(timeout: Duration): FanOutOption {
  const timeoutMs = parseDuration(timeout, 'fanOutTimeout');
  if (timeoutMs === 0) throw new InvalidOptionError('fanOutTimeout', timeout, 'must be above 0');
  return (settings) => {
    settings.timeoutMs = timeoutMs;
  };
}

/** Cancels the sub-jobs that have not finished when the parent job fails. */
export function cancelOnParentFailure(): FanOutOption {
  return (settings) => {
    settings.cancelOnParentFailure = true;
  };
}

export function resolveFanOutSettings(options: FanOutOption[]): FanOutSettings {
  const settings: FanOutSettings = { ...DEFAULT_FAN_OUT_SETTINGS };
  for (const option of options) {
    if (typeof option !== 'function') {
      throw new InvalidOptionError('fan-out option', option, 'must come from failFast(), collectAll(), threshold() or the other fan-out option functions');
    }
    option(settings);
  }
  return settings;
}
