import type { Job } from '../interfaces/job.interface.js';

/** What a JobContext needs from the queue that runs it. */
export interface JobContextRuntime {
  readonly workerId: string;
  emitCustomEvent(jobId: string, kind: string, data: Record<string, unknown>): void;
}

/**
 * The second argument of every handler: the job being run, an AbortSignal and the helpers
 * that act on the current job.
 */
export class JobContext<TArgs = unknown> {
  constructor(
    readonly job: Job<TArgs>,
    /**
     * Fires when the run must stop: the job was cancelled or paused aggressively, its lock
     * was lost, or shutdown timed out. Pass it to fetch, database clients and timers.
     */
    readonly signal: AbortSignal,
    private readonly runtime: JobContextRuntime,
  ) {}

  get jobId(): string {
    return this.job.id;
  }

  /** Run number, 1 for the first run. */
  get attempt(): number {
    return this.job.attempt;
  }

  get workerId(): string {
    return this.runtime.workerId;
  }

  /** Emits an ephemeral CustomEvent for this job on `queue.events$`; it is not stored. */
  emit(kind: string, data: Record<string, unknown> = {}): void {
    this.runtime.emitCustomEvent(this.job.id, kind, data);
  }
}
