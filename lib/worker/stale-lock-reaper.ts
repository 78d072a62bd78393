import type { Logger } from '@nestjs/common';
import type { RateLimitedLogger } from '../common/rate-limited-logger.js';
import { messageOf } from '../errors/retry-control.error.js';
import { JobReclaimed } from '../events/job-events.js';
import type { JobEventBus } from '../events/job-event-bus.js';
import type { JobStorage } from '../storage/job-storage.interface.js';
import type { Wakeup } from './wakeup.js';

/** Rows reclaimed per statement; a larger backlog is drained over several statements of one round. */
const RECLAIM_BATCH = 500;

/**
 * Returns jobs of lost workers to pending. Every worker runs one, with no leader: the
 * statement skips rows another reaper has locked, and a job is reclaimed only while it is
 * still running with an expired lock, so a job that completed meanwhile is never touched.
 */
export class StaleLockReaper {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(
    private readonly storage: JobStorage,
    private readonly events: JobEventBus,
    private readonly workerId: string,
    private readonly intervalMs: number,
    private readonly staleAgeMs: number,
    private readonly logger: Logger,
    private readonly errors: RateLimitedLogger,
    private readonly wakeup: Wakeup,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.reclaimNow(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** Runs one reclaim round unless one is already running; resolves when it ends. */
  reclaimNow(): Promise<void> {
    this.round ??= this.reclaimAll().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async reclaimAll(): Promise<void> {
    try {
      for (;;) {
        const reclaimed = await this.storage.reclaimStaleLocks(this.staleAgeMs, RECLAIM_BATCH);
        for (const job of reclaimed) {
          const failed = job.status === 'failed';
          this.logger.warn(
            `Job ${job.id} (${job.type}): worker ${job.lostWorker ?? '(unknown)'} was lost during attempt ${job.attempt}; ` +
              (failed ? 'no retries remain, so the job failed' : 'returned to pending'),
          );
          this.events.emit(
            new JobReclaimed(job.id, job.type, job.queue, job.attempt, job.lostWorker, failed, this.workerId),
          );
          if (!failed) this.wakeup.notify(job.queue);
        }
        this.errors.clear('reclaim');
        if (reclaimed.length < RECLAIM_BATCH) break;
      }
      // Fan-outs whose timeout passed or whose sub-jobs were deleted are decided here.
      if ((await this.storage.settleStalledFanOuts(this.staleAgeMs)) > 0) this.wakeup.notify();
    } catch (error) {
      this.errors.error('reclaim', `Worker ${this.workerId} failed to reclaim stale locks: ${messageOf(error)}`);
    }
  }
}
