import type { JobOutcome } from '../storage/job-storage.interface.js';

interface Pending {
  outcome: JobOutcome;
  resolve: (written: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects the outcomes of runs that end close together and writes them as one fenced
 * statement: after `windowMs`, or at once when `maxBatch` outcomes are waiting. Each caller
 * learns whether its own outcome was written. An outcome still in the buffer when the
 * process dies is lost like a run that was cut short: the job stays running until its lock
 * goes stale, and the reaper returns it to pending.
 */
export class OutcomeBuffer {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private firstRecordedAt = 0;

  constructor(
    /** Writes a batch and returns the ids written. */
    private readonly write: (outcomes: JobOutcome[]) => Promise<ReadonlySet<string>>,
    private readonly windowMs: number,
    private readonly maxBatch: number,
  ) {}

  /** Resolves true when the outcome was written, false when its fence rejected it. */
  record(outcome: JobOutcome): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ outcome, resolve, reject });
      if (this.pending.length === 1) this.firstRecordedAt = performance.now();
      // The clock is checked here as well as by the timer: a worker whose synchronous SQLite
      // claims keep the event loop busy may run the timer late, and every run of the batch
      // stays in memory until it is written.
      if (this.pending.length >= this.maxBatch || performance.now() - this.firstRecordedAt >= this.windowMs) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  /** Writes whatever is buffered now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.write(batch.map((entry) => entry.outcome)).then(
      (written) => {
        for (const entry of batch) entry.resolve(written.has(entry.outcome.id.toLowerCase()));
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
  }
}
