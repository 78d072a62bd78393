import type { Logger } from '@nestjs/common';

/**
 * Logs an error once per key and window, then reports how many repeats were suppressed, so
 * that a database outage does not flood the log with one line per poll.
 */
export class RateLimitedLogger {
  private readonly windows = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = 10_000,
  ) {}

  error(key: string, message: string): void {
    this.write('error', key, message);
  }

  /** Same as error(), at warning level, for failures that are retried. */
  warn(key: string, message: string): void {
    this.write('warn', key, message);
  }

  private write(level: 'error' | 'warn', key: string, message: string): void {
    const now = Date.now();
    const window = this.windows.get(key);
    if (window && now < window.until) {
      window.suppressed += 1;
      return;
    }
    const suffix = window && window.suppressed > 0 ? ` (${window.suppressed} similar errors suppressed)` : '';
    this.windows.set(key, { until: now + this.windowMs, suppressed: 0 });
    this.logger[level](`${message}${suffix}`);
  }

  /** Forgets a key once its condition is over, so the next failure is logged at once. */
  clear(key: string): void {
    this.windows.delete(key);
  }
}
