import { Logger } from '@nestjs/common';
import { RateLimitedLogger } from '../common/rate-limited-logger.js';
import { retryDelayMs, type ResolvedRetryConfig } from '../common/retry-config.js';
import { sleep } from '../common/retry.js';
import { DurableJobsError } from '../errors/durable-jobs.error.js';
import { messageOf } from '../errors/retry-control.error.js';
import { StorageUnavailableError } from '../errors/storage-unavailable.error.js';
import type { StorageDialect } from './dialects/dialect.js';
import { isRetryableStorageError } from './retryable-error.js';

/** Readiness of a storage: whether it has connected and migrated. */
export interface StorageReadiness {
  /** Resolves once ready; rejects with StorageUnavailableError when the wait allowed runs out first. */
  waitUntilReady(): Promise<void>;
  /** Resolves true once ready, or false as soon as `signal` aborts or the storage closes. */
  whenReady(signal?: AbortSignal): Promise<boolean>;
  /** Stops connecting and waits for an attempt in flight to end. */
  close(): Promise<void>;
}

export interface StorageConnectorOptions {
  dialect: StorageDialect;
  /** Backoff between attempts after the first one failed. */
  retry: ResolvedRetryConfig;
  /** How long waitUntilReady() waits, in milliseconds. */
  readyTimeoutMs: number;
}

/**
 * Connects and migrates the storage, retrying in the background after a failed first
 * attempt so that the application boots while the database is down. Attempts continue
 * until one succeeds or the storage closes. Past maxAttempts the delay stays at
 * maxBackoff. An error that is not retryable, such as a rejected password after a restore,
 * also waits maxBackoff, because after boot only the log can report the failure.
 */
export class StorageConnector implements StorageReadiness {
  private readonly logger = new Logger('DurableJobsStorage');
  private readonly errors = new RateLimitedLogger(this.logger);
  private readonly closing = new AbortController();
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private state: 'connecting' | 'ready' | 'closed' = 'connecting';
  private lastError: unknown = undefined;
  private background: Promise<void> | undefined;

  constructor(
    private readonly attempt: () => Promise<void>,
    private readonly options: StorageConnectorOptions,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  /**
   * Makes the first attempt. Resolves when it succeeded, or when it failed with a retryable
   * error, and then keeps trying in the background. Rejects with the error of a first
   * attempt that is not retryable, such as a bad password or an invalid option.
   */
  async start(): Promise<void> {
    try {
      await this.attempt();
      this.succeed();
      return;
    } catch (error) {
      this.lastError = error;
      if (!isRetryableStorageError(error, this.options.dialect)) throw error;
      this.logger.warn(
        `The job database (${this.options.dialect}) is unreachable at start-up: ${messageOf(error)}. ` +
          'The application starts anyway: workers wait for the database, and enqueue waits up to ' +
          `${this.options.readyTimeoutMs}ms before it rejects. Reconnecting in the background.`,
      );
      this.background = this.retryInBackground();
    }
  }

  async waitUntilReady(): Promise<void> {
    if (await this.whenReady(AbortSignal.timeout(this.options.readyTimeoutMs))) return;
    if (this.state === 'closed') throw new DurableJobsError('The job storage was closed before it connected to the database');
    throw new StorageUnavailableError(this.options.dialect, this.options.readyTimeoutMs, this.lastError);
  }

  async whenReady(signal?: AbortSignal): Promise<boolean> {
    if (this.state !== 'connecting') return this.state === 'ready';
    const signals = signal ? [signal, this.closing.signal] : [this.closing.signal];
    const stop = AbortSignal.any(signals);
    if (stop.aborted) return false;
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => resolve(false);
      stop.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.ready.then(() => true), aborted]);
    } finally {
      stop.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    if (this.state !== 'ready') this.state = 'closed';
    this.closing.abort();
    await this.background;
  }

  private async retryInBackground(): Promise<void> {
    const { retry, dialect } = this.options;
    for (let failures = 1; ; failures += 1) {
      const retryable = isRetryableStorageError(this.lastError, dialect);
      const delayMs = retryable ? retryDelayMs(retry, failures) : retry.maxBackoffMs;
      if (!(await sleep(delayMs, this.closing.signal))) return;
      try {
        await this.attempt();
      } catch (error) {
        this.lastError = error;
        const attempts = failures + 1;
        const problem = isRetryableStorageError(error, dialect)
          ? `The job database (${dialect}) is still unreachable after ${attempts} attempts`
          : `Connecting to the job database (${dialect}) failed with an error that is not retryable, attempt ${attempts}`;
        this.errors.error('connect', `${problem}: ${messageOf(error)}. Retrying.`);
        continue;
      }
      if (this.closing.signal.aborted) return;
      this.logger.log(`Connected to the job database (${dialect}) after ${failures + 1} attempts`);
      this.succeed();
      return;
    }
  }

  private succeed(): void {
    this.state = 'ready';
    this.lastError = undefined;
    this.markReady();
  }
}
