import { parseDuration, type Duration } from '../common/duration.js';
import { RetryAfterError } from '../errors/retry-control.error.js';

/**
 * Wraps an error so that the job retries after `delay` instead of its backoff, while
 * retries remain; with none left it fails as usual.
 */
export function retryAfter(delay: Duration, error: unknown): RetryAfterError {
  return new RetryAfterError(parseDuration(delay, 'retryAfter delay'), error);
}
