import type { Duration } from '../common/duration.js';
import type { RetryConfig } from '../common/retry-config.js';

export interface QueueWorkerOptions {
  /** Jobs of this queue that run at once on this worker. Default: the worker's concurrency. */
  concurrency?: number;
}

export interface WorkerOptions {
  /** Readable name, used in the worker id and logs. */
  name?: string;
  /**
   * Queues to process: a list of names, or names mapped to per-queue settings. Default:
   * `'default'` plus every queue named by a registered handler.
   */
  queues?: string[] | Record<string, QueueWorkerOptions>;
  /** Concurrency of each queue that does not set its own. Default 10. */
  concurrency?: number;
  /**
   * Most jobs of each queue claimed ahead of its free slots, so that a slot that frees starts
   * the next job without waiting for a claim. The buffer keeps about as many jobs as the
   * queue's handlers finished during the previous claim, so a queue of slow jobs prefetches
   * little. A prefetched job that has not started within `prefetchTimeout` returns to pending
   * for any worker, and the queue stops prefetching until one of its handlers finishes.
   * 0 disables it. Default 100.
   */
  prefetch?: number;
  /** How long a prefetched job may wait for a free slot. Default 1s. */
  prefetchTimeout?: Duration;
  /** How often an idle queue is polled when no wake-up arrives. Default 1s. */
  pollInterval?: Duration;
  /** Lease of a claimed job; heartbeats renew it, and a job whose lease expired may be reclaimed. Default 30s. */
  lockDuration?: Duration;
  /** How often the worker renews the leases of its running jobs, in one statement. Default 10s. */
  heartbeatInterval?: Duration;
  /**
   * How often the worker reads the state of its running jobs, to abort handlers of jobs that
   * were cancelled, paused or taken over, from any process; 0 disables it. Default 500ms.
   */
  lockCheckInterval?: Duration;
  /**
   * How long a finished run's outcome waits for others to share its write statement. Longer
   * windows mean fewer statements under load and later completion; 0 still batches the
   * outcomes of one event-loop turn. Default 2ms.
   */
  completionWindow?: Duration;
  /** How long shutdown waits for running handlers before aborting them and releasing their jobs. Default 30s. */
  shutdownTimeout?: Duration;
  /** How often this worker looks for jobs whose worker was lost; 0 disables it. Default 15s. */
  staleLockInterval?: Duration;
  /** How long a lock must have been expired before its job is reclaimed. Default 30s. */
  staleLockAge?: Duration;
  /**
   * Retry of storage calls that end or keep a run (outcome writes, releases, heartbeats) on
   * retryable errors. Default: defaultRetryConfig(), 5 attempts from 100ms up to 5s.
   */
  storageRetry?: Partial<RetryConfig>;
  /**
   * Backoff of a claim loop while its claims fail, so that it does not spin on a database
   * outage. The loop never gives up: past maxAttempts failures it waits maxBackoff. Default:
   * defaultRetryConfig().
   */
  dequeueRetry?: Partial<RetryConfig>;
  /** Shortcut for storageRetry.maxAttempts. */
  retryAttempts?: number;
  /** Makes each storage call once, and failed claims wait pollInterval without backoff. Default false. */
  disableRetry?: boolean;
  /**
   * Runs a scheduler next to this worker, which enqueues the ticks of every stored schedule.
   * Any number of processes may run one: each tick is enqueued once. Default: true for the
   * module's default worker (when `workers` is omitted), false for every other worker.
   */
  scheduler?: boolean;
  /** Maximum sleep of the scheduler between reads of the schedules. Default 1s. */
  schedulerPollInterval?: Duration;
}
