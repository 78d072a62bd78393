import type { BackoffPolicy } from '../interfaces/job.interface.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { computeBackoff } from './backoff.js';
import { parseDuration, type Duration } from './duration.js';
import { assertInteger } from './names.js';

/**
 * Retry policy of an operation on the database: up to `maxAttempts` attempts in all, with
 * exponential backoff between them.
 */
export interface RetryConfig {
  /** Attempts in all, the first one included; 1 means no retry. Default 5. */
  maxAttempts: number;
  /** Delay after the first failed attempt. Default 100ms. */
  initialBackoff: Duration;
  /** Upper bound of any delay. Default 5s. */
  maxBackoff: Duration;
  /** Growth of the delay per failed attempt, at least 1. Default 2. */
  backoffMultiplier: number;
  /** Fraction of each delay, 0 to 1, that is randomised up or down. Default 0.1. */
  jitterFraction: number;
}

/** A RetryConfig with every field checked and the durations in milliseconds. */
export interface ResolvedRetryConfig {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  backoffMultiplier: number;
  jitterFraction: number;
}

/** Upper bound of maxAttempts, so that a typo cannot make one call retry for days. */
export const MAX_RETRY_ATTEMPTS = 1_000;

/** Returns a fresh copy of the defaults: 5 attempts, 100ms doubling up to 5s, 10% jitter. */
export function defaultRetryConfig(): RetryConfig {
  return { maxAttempts: 5, initialBackoff: 100, maxBackoff: 5_000, backoffMultiplier: 2, jitterFraction: 0.1 };
}

/**
 * Validates a partial RetryConfig and fills the gaps from the defaults. `field` names the
 * option in errors, such as `worker storageRetry`.
 */
export function resolveRetryConfig(config: Partial<RetryConfig> | undefined, field: string): ResolvedRetryConfig {
  if (config !== undefined && (config === null || typeof config !== 'object' || Array.isArray(config))) {
    throw new InvalidOptionError(field, config, 'must be an object with RetryConfig fields');
  }
  const merged = { ...defaultRetryConfig(), ...stripUndefined(config ?? {}) };
  const resolved: ResolvedRetryConfig = {
    maxAttempts: assertInteger(`${field}.maxAttempts`, merged.maxAttempts, 1, MAX_RETRY_ATTEMPTS),
    initialBackoffMs: parseDuration(merged.initialBackoff, `${field}.initialBackoff`),
    maxBackoffMs: parseDuration(merged.maxBackoff, `${field}.maxBackoff`),
    backoffMultiplier: merged.backoffMultiplier,
    jitterFraction: merged.jitterFraction,
  };
  if (typeof resolved.backoffMultiplier !== 'number' || !Number.isFinite(resolved.backoffMultiplier) || resolved.backoffMultiplier < 1) {
    throw new InvalidOptionError(`${field}.backoffMultiplier`, merged.backoffMultiplier, 'must be a finite number of at least 1');
  }
  if (typeof resolved.jitterFraction !== 'number' || !(resolved.jitterFraction >= 0 && resolved.jitterFraction <= 1)) {
    throw new InvalidOptionError(`${field}.jitterFraction`, merged.jitterFraction, 'must be a number from 0 to 1');
  }
  if (resolved.maxBackoffMs < resolved.initialBackoffMs) {
    throw new InvalidOptionError(
      `${field}.maxBackoff`,
      merged.maxBackoff,
      `must not be below initialBackoff (${resolved.initialBackoffMs}ms)`,
    );
  }
  return resolved;
}

/**
 * Returns the delay in milliseconds after `failures` consecutive failed attempts (1 for the
 * first). From `maxAttempts` failures on, the delay stays at maxBackoff, less jitter, which
 * is what loops that never give up use.
 */
export function retryDelayMs(config: ResolvedRetryConfig, failures: number, random: () => number = Math.random): number {
  const exhausted = failures >= config.maxAttempts;
  const policy: BackoffPolicy = {
    initialMs: exhausted ? config.maxBackoffMs : config.initialBackoffMs,
    maxMs: config.maxBackoffMs,
    multiplier: config.backoffMultiplier,
    jitter: config.jitterFraction,
  };
  return computeBackoff(policy, exhausted ? 1 : failures, random);
}

/** Drops keys set to undefined, so that `{ maxAttempts: undefined }` keeps the default. */
function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
