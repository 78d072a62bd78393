import { retryDelayMs, type ResolvedRetryConfig } from './retry-config.js';

export interface RetryHooks {
  /** Decides whether an error is worth another attempt. */
  isRetryable(error: unknown): boolean;
  /** Called before each wait, with the attempt that failed (1 for the first) and the delay. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  /** Ends the waiting early; the last error is then rethrown. */
  signal?: AbortSignal;
}

/**
 * Runs `operation` until it succeeds, fails with an error that `isRetryable` rejects, or has
 * used `config.maxAttempts` attempts, waiting the backoff of `config` between attempts.
 * Rethrows the last error. `operation` receives the attempt number, starting at 1.
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  config: ResolvedRetryConfig,
  hooks: RetryHooks,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= config.maxAttempts || hooks.signal?.aborted || !hooks.isRetryable(error)) throw error;
      const delayMs = retryDelayMs(config, attempt);
      hooks.onRetry?.(error, attempt, delayMs);
      if (!(await sleep(delayMs, hooks.signal))) throw error;
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
