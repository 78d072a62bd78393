import type { DurableRun } from '../durable/durable-run.js';
import type { FanOutResult } from '../durable/fan-out-result.js';
import type { FanOutOption, SubJob } from '../durable/fan-out.options.js';
import type { Job } from '../interfaces/job.interface.js';

/** The part of a worker that a JobContext uses. */
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
    private readonly abort: { readonly signal: AbortSignal },
    private readonly runtime: JobContextRuntime,
    private readonly durable: DurableRun,
  ) {}

  /**
   * Fires when the run must stop: the job was cancelled or paused aggressively, its lock
   * was lost, or shutdown timed out. Pass it to fetch, database clients and timers.
   */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

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

  /**
   * Runs the handler registered as `name` inline and stores its result as a checkpoint. A
   * later run of this job returns the stored result, or throws the stored permanent error,
   * without running the handler again.
   */
  call<T = unknown>(name: string, args: unknown): Promise<T> {
    return this.durable.call<T>(this, name, args);
  }

  /** Runs `fn` once for this job and stores its result; later runs return the stored result. */
  step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    return this.durable.step(name, fn);
  }

  /** Stores `value` under `name` for later runs of this job, replacing an earlier value. */
  savePhaseCheckpoint(name: string, value: unknown): Promise<void> {
    return this.durable.savePhaseCheckpoint(name, value);
  }

  /** Returns the value stored under `name` by savePhaseCheckpoint, with found: false when there is none. */
  loadPhaseCheckpoint<T = unknown>(name: string): Promise<{ found: boolean; value: T | undefined }> {
    return this.durable.loadPhaseCheckpoint<T>(name);
  }

  /**
   * Runs the sub-jobs in parallel and returns their results in the order of `subs`. The job
   * suspends in waiting, freeing its worker slot, and runs again from the top once the
   * fan-out is decided; calls and steps before the fan-out replay from their checkpoints.
   */
  fanOut<T = unknown>(subs: SubJob[], ...options: FanOutOption[]): Promise<FanOutResult<T>[]> {
    return this.durable.fanOut<T>(subs, options);
  }

  /** Emits an ephemeral CustomEvent for this job on `queue.events$`; it is not stored. */
  emit(kind: string, data: Record<string, unknown> = {}): void {
    this.runtime.emitCustomEvent(this.job.id, kind, data);
  }
}
