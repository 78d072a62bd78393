/** Options of one chaos run. */
export interface ChaosOptions {
  /** PostgreSQL URL of an empty database that the run may fill. */
  databaseUrl: string;
  /** Worker processes alive at any time. Default 3. */
  processes?: number;
  /** Jobs to enqueue. Default 2,000. */
  jobs?: number;
  /** Workers to kill with SIGKILL, each replaced at once. Default 5. */
  kills?: number;
  /** Milliseconds over which the enqueue is spread; 0 enqueues in one burst. Default 0. */
  enqueueOverMs?: number;
  /** Maximum delay of the delayed jobs, a tenth of all jobs, in milliseconds; 0 delays none. Default 3,000. */
  maxDelayMs?: number;
  /** Minimum milliseconds between two kills. Default 150. */
  minKillGapMs?: number;
  /** Bound on the run, in milliseconds, from the first enqueue until every job is terminal. Default 60,000. */
  timeoutMs?: number;
  /** Seed of the job mix and of the choice of victims. Default: random. */
  seed?: number;
  /** Receives progress lines. Default: none. */
  log?: (line: string) => void;
}

export interface ChaosCounts {
  jobsEnqueued: number;
  jobsStored: number;
  expectedCompleted: number;
  expectedFailed: number;
  completed: number;
  failedAsDesigned: number;
  /** Jobs failed by the stale-lock reclaim because a killed worker held their last attempt. */
  failedLostWorker: number;
  totalRuns: number;
  designedRuns: number;
  extraRuns: number;
  runsByKilledWorkers: number;
  jobsRunByKilledWorkers: number;
  /** Claims whose worker died before the handler recorded the run. */
  attemptsWithoutRun: number;
  reclaimedJobs: number;
  completionAuditRows: number;
  expectedLogLines: number;
  kills: number;
  killsRequested: number;
  processes: number;
  workersStarted: number;
  setupMs: number;
  enqueueMs: number;
  elapsedMs: number;
  stopMs: number;
}

/** Each list holds the jobs, events or processes that break one rule; all are empty on success. */
export interface ChaosViolations {
  notEnqueued: unknown[];
  missing: unknown[];
  unplanned: unknown[];
  notTerminal: unknown[];
  completedUnexpectedly: unknown[];
  failedUnexpectedly: unknown[];
  wrongFailure: unknown[];
  unexplainedLostFailure: unknown[];
  completionMismatch: unknown[];
  auditMismatch: unknown[];
  duplicateAttemptRuns: unknown[];
  extraRunsWithoutKill: unknown[];
  extraRunsByLiveWorkers: unknown[];
  ranBeforeDelay: unknown[];
  reclaimedFromLiveWorker: unknown[];
  lockLost: unknown[];
  unexpectedExits: unknown[];
  unexpectedLogs: unknown[];
}

export interface ChaosResult {
  seed: number;
  counts: ChaosCounts;
  violations: ChaosViolations;
}

export const CHAOS_WORKER_SETTINGS: Readonly<{
  queues: Record<string, { concurrency: number }>;
  lockDuration: number;
  heartbeatInterval: number;
  staleLockInterval: number;
  staleLockAge: number;
  pollInterval: number;
  shutdownTimeout: number;
  minHandlerMs: number;
  maxHandlerMs: number;
}>;

export function runChaos(options: ChaosOptions): Promise<ChaosResult>;

export function formatChaosReport(result: ChaosResult): string[];
