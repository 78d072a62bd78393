import type { BackoffPolicy } from '../interfaces/job.interface.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { parseDuration, type Duration } from './duration.js';

/** Retry delays of 1s, 2s, 4s … capped at one hour, each varied by up to ±20%. */
export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 1_000,
  maxMs: 3_600_000,
  multiplier: 2,
  jitter: 0.2,
});

/** Backoff settings as users write them; every field is optional. */
export interface BackoffOptions {
  /** Delay before the first retry. Default 1s. */
  initial?: Duration;
  /** Upper bound of any delay. Default 1h. */
  max?: Duration;
  /** Growth factor per attempt, at least 1. Default 2. */
  multiplier?: number;
  /** Fraction of the delay, 0 to 1, that is randomised. Default 0.2. */
  jitter?: number;
}

/** Validates backoff options and fills the gaps from `base`. */
export function resolveBackoff(
  options: BackoffOptions,
  field: string,
  base: BackoffPolicy = DEFAULT_BACKOFF,
): BackoffPolicy {
  const policy: BackoffPolicy = {
    initialMs: options.initial === undefined ? base.initialMs : parseDuration(options.initial, `${field}.initial`),
    maxMs: options.max === undefined ? base.maxMs : parseDuration(options.max, `${field}.max`),
    multiplier: options.multiplier ?? base.multiplier,
    jitter: options.jitter ?? base.jitter,
  };
  if (!Number.isFinite(policy.multiplier) || policy.multiplier < 1) {
    throw new InvalidOptionError(`${field}.multiplier`, options.multiplier, 'must be a finite number of at least 1');
  }
  if (!Number.isFinite(policy.jitter) || policy.jitter < 0 || policy.jitter > 1) {
    throw new InvalidOptionError(`${field}.jitter`, options.jitter, 'must be a number from 0 to 1');
  }
  if (policy.maxMs < policy.initialMs) {
    throw new InvalidOptionError(`${field}.max`, options.max, `must not be below the initial delay of ${policy.initialMs}ms`);
  }
  return policy;
}

/**
 * Returns the delay before the retry that follows `attempt` (1 for the first run). The
 * exponent is applied in floating point and capped before jitter, so the result stays
 * finite and within [0, maxMs] for any attempt number.
 */
export function computeBackoff(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = policy.initialMs * Math.pow(policy.multiplier, exponent);
  const capped = Number.isFinite(raw) ? Math.min(raw, policy.maxMs) : policy.maxMs;
  const spread = capped * policy.jitter * (random() * 2 - 1);
  return Math.round(Math.min(policy.maxMs, Math.max(0, capped + spread)));
}
