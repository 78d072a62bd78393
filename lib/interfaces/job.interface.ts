/** Lifecycle states of a job. `completed`, `failed` and `cancelled` are terminal. */
export enum JobStatus {
  Pending = 'pending',
  Running = 'running',
  Completed = 'completed',
  Failed = 'failed',
  Retrying = 'retrying',
  Waiting = 'waiting',
  Cancelled = 'cancelled',
  Paused = 'paused',
}

export const TERMINAL_STATUSES: readonly JobStatus[] = [
  JobStatus.Completed,
  JobStatus.Failed,
  JobStatus.Cancelled,
];

/** Exponential backoff between attempts of a failed job. Durations are milliseconds. */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /** Growth factor per attempt. */
  multiplier: number;
  /** Fraction (0..1) of the delay that is randomised, so failed jobs do not retry in lockstep. */
  jitter: number;
}

/** A job as stored. Payloads are decoded from their JSON form. */
export interface Job<TArgs = unknown, TResult = unknown> {
  id: string;
  type: string;
  queue: string;
  args: TArgs;
  priority: number;
  status: JobStatus;
  /** Number of runs started so far, including the current one while running. */
  attempt: number;
  /** Retries allowed after the first run: a job runs at most maxRetries + 1 times. */
  maxRetries: number;
  lastError: string | null;
  result: TResult | null;
  uniqueKey: string | null;
  /** Per-job backoff override; null means the handler's or the library default. */
  backoff: BackoffPolicy | null;
  runAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastHeartbeatAt: Date | null;
  /** Worker id that holds the lock while the job runs. */
  lockedBy: string | null;
  lockedUntil: Date | null;
  /** The job whose fan-out created this one, or null. */
  parentJobId: string | null;
}
