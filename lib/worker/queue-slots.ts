import { abortRun, type AbortReason, type RunningJob } from './running-job.js';

interface WaitingRun {
  entry: RunningJob;
  since: number;
  grant: () => void;
}

/**
 * The handler slots of one queue on one worker, and the prefetched jobs that wait for them in
 * claim order. A slot that frees passes straight to the oldest waiting job, so the next
 * handler starts without a claim round trip.
 *
 * The number of jobs prefetched follows the queue's pace: about as many as its handlers
 * finished during the previous claim cycle, up to `prefetch`. A queue of jobs that finish
 * within microseconds fills the whole buffer. A queue of minute-long jobs prefetches at most
 * the one or two that finish per cycle, so it leaves its backlog to other workers.
 */
export class QueueSlots {
  private busy = 0;
  private readonly waiting: WaitingRun[] = [];
  /** Handlers of the queue finished so far, read by the claim loop once per cycle. */
  private finished = 0;
  private paceTarget = 0;
  /** Set when prefetched jobs waited too long, and cleared when a handler of the queue finishes. */
  private prefetchSuspended = false;

  constructor(
    readonly concurrency: number,
    private readonly prefetch: number,
    private readonly onFreed: () => void,
  ) {}

  /** Handlers of the queue that run now, including slots reserved for a start at enqueue. */
  get busyCount(): number {
    return this.busy;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get finishedCount(): number {
    return this.finished;
  }

  /** Sets how many jobs to prefetch from the handlers that finished during the last claim cycle. */
  pace(finishedInCycle: number): void {
    this.paceTarget = Math.min(this.prefetch, finishedInCycle);
  }

  /** Returns how many jobs the next claim may take: the free slots plus the room left for prefetched jobs. */
  claimable(): number {
    const prefetch = this.prefetchSuspended ? 0 : this.paceTarget;
    return this.concurrency + prefetch - this.busy - this.waiting.length;
  }

  /** Takes a free slot for a job that no prefetched job waits ahead of; false when there is none. */
  tryTake(): boolean {
    if (this.busy >= this.concurrency || this.waiting.length > 0) return false;
    this.busy += 1;
    return true;
  }

  /** Resolves true once the run has a slot, or false when its abort fires first. */
  acquire(entry: RunningJob): Promise<boolean> {
    if (entry.abort.aborted) return Promise.resolve(false);
    if (this.tryTake()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiting: WaitingRun = {
        entry,
        since: performance.now(),
        grant: () => {
          stopWaiting();
          resolve(true);
        },
      };
      const stopWaiting = entry.abort.onAbort(() => {
        const index = this.waiting.indexOf(waiting);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(false);
      });
      this.waiting.push(waiting);
    });
  }

  /**
   * Frees a slot, or hands it to the oldest waiting job. `handlerFinished` is false when the
   * slot was only reserved, so a start at enqueue that did not happen does not resume prefetching.
   */
  release(handlerFinished = true): void {
    if (handlerFinished) {
      this.finished += 1;
      this.prefetchSuspended = false;
    }
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.busy -= 1;
    this.onFreed();
  }

  /** Aborts the jobs that waited `timeoutMs` or longer, suspends prefetching, and returns how many it aborted. */
  expire(timeoutMs: number, now = performance.now()): number {
    const expired = this.waiting.filter((waiting) => now - waiting.since >= timeoutMs);
    if (expired.length === 0) return 0;
    this.prefetchSuspended = true;
    for (const waiting of expired) abortRun(waiting.entry, 'expired');
    return expired.length;
  }

  /** Aborts every waiting job, which then returns to pending or stays as the database has it. */
  abortWaiting(reason: AbortReason): void {
    for (const waiting of [...this.waiting]) abortRun(waiting.entry, reason);
  }
}
