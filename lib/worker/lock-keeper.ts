import type { Logger } from '@nestjs/common';
import type { RateLimitedLogger } from '../common/rate-limited-logger.js';
import type { JobEventBus } from '../events/job-event-bus.js';
import { JobLockLost } from '../events/job-events.js';
import { JobStatus } from '../interfaces/job.interface.js';
import type { JobStorage } from '../storage/job-storage.interface.js';
import type { RetryingStorageCalls } from './retrying-storage-calls.js';
import { abortRun, type AbortReason, type RunningJob } from './running-job.js';
import type { RunningJobs } from './running-jobs.js';

export interface LockKeeperOptions {
  workerId: string;
  lockDurationMs: number;
  heartbeatIntervalMs: number;
  lockCheckIntervalMs: number;
}

/**
 * Keeps a worker's locks. One heartbeat statement renews the leases of all its running jobs.
 * Between heartbeats a cheaper read finds jobs that were cancelled, paused or taken over by
 * another worker, so their handlers stop within one lock-check interval, whichever process
 * made the change.
 */
export class LockKeeper {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private heartbeatInFlight = false;
  private checkInFlight = false;

  constructor(
    private readonly running: RunningJobs,
    private readonly storage: JobStorage,
    private readonly storageCalls: RetryingStorageCalls,
    private readonly events: JobEventBus,
    private readonly options: LockKeeperOptions,
    private readonly logger: Logger,
    private readonly errors: RateLimitedLogger,
  ) {}

  start(): void {
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    if (this.options.lockCheckIntervalMs > 0) {
      this.checkTimer = setInterval(() => void this.checkLocks(), this.options.lockCheckIntervalMs);
      this.checkTimer.unref();
    }
  }

  stop(): void {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.checkTimer);
  }

  /** Aborts the run of `jobId` on this worker, if it runs here; returns whether it did. */
  abortIfRunning(jobId: string, reason: AbortReason): boolean {
    const entry = this.running.find(jobId);
    if (!entry || entry.finishing) return false;
    abortRun(entry, reason);
    return true;
  }

  private async heartbeat(): Promise<void> {
    // A heartbeat that is still retrying must not overlap the next one.
    if (this.heartbeatInFlight) return;
    // Leaves out runs whose outcome is being written. Their rows are locked by that write, and
    // a heartbeat waiting on them while the write waits on a row the heartbeat holds is a
    // deadlock. A job whose outcome could not be written leaves `running`, so its lock goes
    // stale and the job is reclaimed.
    const checked = this.running.values().filter((entry) => !entry.finishing && !entry.abort.aborted);
    if (checked.length === 0) return;
    this.heartbeatInFlight = true;
    try {
      const renewed = new Set(await this.storageCalls.heartbeat(this.options.lockDurationMs, checked.map((entry) => entry.job.id)));
      this.errors.clear('heartbeat');
      for (const entry of checked) {
        if (!renewed.has(entry.job.id)) this.lost(entry, 'lock-lost');
      }
    } catch (error) {
      this.errors.error(
        'heartbeat',
        `Worker ${this.options.workerId} failed to renew its job locks: ${this.storageCalls.describeFailure(error)}`,
      );
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  private async checkLocks(): Promise<void> {
    if (this.running.size === 0 || this.checkInFlight) return;
    this.checkInFlight = true;
    const checked = this.running.values().filter((entry) => !entry.finishing);
    try {
      const states = new Map((await this.storage.lockStates(checked.map((entry) => entry.job.id))).map((state) => [state.id, state]));
      this.errors.clear('lock-check');
      for (const entry of checked) {
        const state = states.get(entry.job.id);
        if (state?.status === JobStatus.Running && state.lockedBy === this.options.workerId && state.attempt === entry.job.attempt) continue;
        this.lost(entry, abortReasonFor(state?.status));
      }
    } catch (error) {
      this.errors.error('lock-check', `Worker ${this.options.workerId} failed to check its job locks: ${String(error)}`);
    } finally {
      this.checkInFlight = false;
    }
  }

  private lost(entry: RunningJob, reason: AbortReason): void {
    if (entry.finishing || entry.abort.aborted || !this.running.has(entry)) return;
    const { job } = entry;
    if (reason === 'lock-lost') {
      this.logger.warn(`Job ${job.id} (${job.type}): worker ${this.options.workerId} lost its lock; aborting the handler`);
      abortRun(entry, reason);
      this.events.emit(new JobLockLost(job, this.options.workerId));
      return;
    }
    this.logger.log(`Job ${job.id} (${job.type}) was ${reason === 'cancelled' ? 'cancelled' : 'paused'}; aborting its handler`);
    abortRun(entry, reason);
  }
}

/** Maps the stored status of a job whose lock this worker lost to the reason its run stops. */
function abortReasonFor(status: JobStatus | undefined): AbortReason {
  if (status === JobStatus.Cancelled) return 'cancelled';
  if (status === JobStatus.Paused) return 'job-paused';
  return 'lock-lost';
}
