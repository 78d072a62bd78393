import { assertInteger } from '../common/names.js';
import { MAX_RETRY_ATTEMPTS, resolveRetryConfig, type ResolvedRetryConfig } from '../common/retry-config.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { WorkerOptions } from '../interfaces/worker-options.interface.js';

/** The retry settings of a worker, checked. */
export interface ResolvedWorkerRetry {
  /** Retry of outcome writes, releases and heartbeats; null makes each call once. */
  storageRetry: ResolvedRetryConfig | null;
  /** Backoff of a claim loop whose claims fail; null waits pollInterval between failed claims. */
  dequeueRetry: ResolvedRetryConfig | null;
}

/**
 * Resolves storageRetry, dequeueRetry, retryAttempts and disableRetry. Conflicting settings
 * are rejected rather than silently ranked: retryAttempts against a different
 * storageRetry.maxAttempts, and disableRetry together with any retry setting.
 */
export function resolveWorkerRetry(options: WorkerOptions): ResolvedWorkerRetry {
  const { storageRetry, dequeueRetry, retryAttempts, disableRetry } = options;
  if (disableRetry !== undefined && typeof disableRetry !== 'boolean') {
    throw new InvalidOptionError('worker disableRetry', disableRetry, 'must be true or false');
  }
  if (disableRetry) {
    const conflicting = (['storageRetry', 'dequeueRetry', 'retryAttempts'] as const).find((name) => options[name] !== undefined);
    if (conflicting) {
      throw new InvalidOptionError(`worker ${conflicting}`, options[conflicting], 'cannot be combined with disableRetry: true');
    }
    return { storageRetry: null, dequeueRetry: null };
  }

  let storage = storageRetry;
  if (retryAttempts !== undefined) {
    assertInteger('worker retryAttempts', retryAttempts, 1, MAX_RETRY_ATTEMPTS);
    const explicit = storageRetry?.maxAttempts;
    if (explicit !== undefined && explicit !== retryAttempts) {
      throw new InvalidOptionError(
        'worker retryAttempts',
        retryAttempts,
        `contradicts storageRetry.maxAttempts (${explicit}); set only one of them`,
      );
    }
    storage = { ...storageRetry, maxAttempts: retryAttempts };
  }
  return {
    storageRetry: resolveRetryConfig(storage, 'worker storageRetry'),
    dequeueRetry: resolveRetryConfig(dequeueRetry, 'worker dequeueRetry'),
  };
}
