import type { RateLimitedLogger } from '../common/rate-limited-logger.js';
import type { ResolvedRetryConfig } from '../common/retry-config.js';
import { retry } from '../common/retry.js';
import { messageOf } from '../errors/retry-control.error.js';
import { JobStatus, type Job } from '../interfaces/job.interface.js';
import type { JobOutcome, JobStorage } from '../storage/job-storage.interface.js';
import { isRetryableStorageError } from '../storage/retryable-error.js';

/**
 * The storage calls with which a worker ends or keeps its runs, retried on retryable errors
 * with the worker's storageRetry. Each retry is logged as a rate-limited warning. The last
 * error is rethrown, and the caller logs it with the job ids involved.
 */
export class RetryingStorageCalls {
  constructor(
    private readonly storage: JobStorage,
    private readonly config: ResolvedRetryConfig | null,
    private readonly workerId: string,
    private readonly log: RateLimitedLogger,
  ) {}

  /**
   * Records a batch of outcomes in one statement and returns the lower-cased ids written.
   * An attempt that failed may still have committed, with only the reply lost. After a
   * retry, an outcome that seems unwritten is therefore checked against its stored job,
   * which shows whether the earlier attempt landed.
   */
  async recordOutcomes(outcomes: JobOutcome[]): Promise<Set<string>> {
    let retried = false;
    const action =
      outcomes.length === 1
        ? `record the outcome of job ${outcomes[0].id}`
        : `record the outcomes of jobs ${outcomes.map((outcome) => outcome.id).join(', ')}`;
    const ids = await this.run('record-outcome', action, (attempt) => {
      retried = attempt > 1;
      return this.storage.recordOutcomes(outcomes);
    });
    const written = new Set(ids.map((id) => id.toLowerCase()));
    if (!retried) return written;
    for (const outcome of outcomes) {
      if (written.has(outcome.id.toLowerCase())) continue;
      const stored = await this.run('confirm-outcome', `read job ${outcome.id}`, () => this.storage.getJob(outcome.id));
      if (outcomeWasWritten(stored, outcome)) written.add(outcome.id.toLowerCase());
    }
    return written;
  }

  /** Returns claimed jobs to pending; returns the ids released. */
  release(outcomes: JobOutcome[]): Promise<string[]> {
    const ids = outcomes.map((outcome) => outcome.id).join(', ');
    return this.run('release', `release jobs ${ids}`, () => this.storage.recordOutcomes(outcomes));
  }

  /** Extends the locks of the jobs in `jobIds`; returns the ids still held. */
  heartbeat(lockMs: number, jobIds: string[]): Promise<string[]> {
    return this.run('heartbeat', 'renew its job locks', () => this.storage.heartbeat(this.workerId, lockMs, jobIds));
  }

  /** Describes why a call finally failed, for the caller's log line. */
  describeFailure(error: unknown): string {
    if (this.config && this.config.maxAttempts > 1 && isRetryableStorageError(error, this.storage.dialect)) {
      return `gave up after ${this.config.maxAttempts} attempts: ${messageOf(error)}`;
    }
    return messageOf(error);
  }

  private run<T>(key: string, action: string, call: (attempt: number) => Promise<T>): Promise<T> {
    if (!this.config) return call(1);
    const { maxAttempts } = this.config;
    return retry(call, this.config, {
      isRetryable: (error) => isRetryableStorageError(error, this.storage.dialect),
      onRetry: (error, attempt, delayMs) =>
        this.log.warn(
          `retry:${key}`,
          `Worker ${this.workerId} failed to ${action} (attempt ${attempt} of ${maxAttempts}), ` +
            `retrying in ${delayMs}ms: ${messageOf(error)}`,
        ),
    });
  }
}

/**
 * Returns whether the stored job shows `outcome` as written. The checks use what no other
 * write produces: a later claim raises the attempt, and the stale-lock reaper sets pending
 * or failed with the attempt kept, and its own error text.
 */
export function outcomeWasWritten(job: Job | null, outcome: JobOutcome): boolean {
  if (job === null || job.lockedBy !== null) return false;
  switch (outcome.kind) {
    case 'completed':
      return job.status === JobStatus.Completed && job.attempt === outcome.attempt;
    case 'retrying':
      return job.status === JobStatus.Retrying && job.attempt === outcome.attempt;
    case 'failed':
      return job.status === JobStatus.Failed && job.attempt === outcome.attempt && JSON.stringify(job.lastError) === outcome.errorJson;
    case 'released':
      return job.status === JobStatus.Pending && job.attempt === outcome.attempt - 1;
    default:
      return false;
  }
}
