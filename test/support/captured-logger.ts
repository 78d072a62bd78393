import type { LoggerService } from '@nestjs/common';

export interface LogEntry {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
  context: string | undefined;
}

/**
 * A Nest LoggerService that records every entry, so a test can assert on warnings and wait
 * for a log line instead of sleeping. Set TEST_LOGS to also print the entries.
 */
export class CapturedLogger implements LoggerService {
  readonly entries: LogEntry[] = [];
  private readonly waiters = new Set<{ test: (entry: LogEntry) => boolean; resolve: (entry: LogEntry) => void }>();

  log(message: unknown, ...rest: unknown[]): void {
    this.record('log', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.record('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.record('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.record('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.record('verbose', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.record('fatal', message, rest);
  }

  /** Entries of the level whose message matches `pattern`. */
  matching(level: LogEntry['level'], pattern: RegExp): LogEntry[] {
    return this.entries.filter((entry) => entry.level === level && pattern.test(entry.message));
  }

  /** Resolves with the first recorded or future entry of the level that matches, or rejects after `ms`. */
  waitFor(level: LogEntry['level'], pattern: RegExp, ms = 10_000): Promise<LogEntry> {
    const test = (entry: LogEntry) => entry.level === level && pattern.test(entry.message);
    const earlier = this.entries.find(test);
    if (earlier) return Promise.resolve(earlier);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${level} log line matching ${pattern} within ${ms}ms`));
      }, ms);
      const waiter = {
        test,
        resolve: (entry: LogEntry) => {
          clearTimeout(timer);
          resolve(entry);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private record(level: LogEntry['level'], message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const entry = { level, message: String(message), context };
    this.entries.push(entry);
    if (process.env.TEST_LOGS) console.log(`[${level}] ${context ?? ''} ${entry.message}`);
    for (const waiter of this.waiters) {
      if (waiter.test(entry)) {
        this.waiters.delete(waiter);
        waiter.resolve(entry);
      }
    }
  }
}
