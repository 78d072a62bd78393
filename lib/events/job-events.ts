import type { Job } from '../interfaces/job.interface.js';

/** Base class of every event on `queue.events$`. */
export abstract class JobEvent {
  /** Stable name for logs and listeners, such as `job.failed`. */
  abstract readonly kind: string;
  /** The job the event is about; null for events about a queue or a worker. */
  abstract readonly jobId: string | null;
  readonly timestamp = new Date();
}

export class JobEnqueued extends JobEvent {
  readonly kind = 'job.enqueued';
  constructor(
    readonly jobId: string,
    readonly type: string,
    readonly queue: string,
    readonly priority: number,
    /** Requested run time; null means as soon as possible. */
    readonly runAt: Date | null,
  ) {
    super();
  }
}

export class JobStarted extends JobEvent {
  readonly kind = 'job.started';
  constructor(
    readonly job: Job,
    readonly workerId: string,
  ) {
    super();
  }
  get jobId(): string {
    return this.job.id;
  }
}

export class JobCompleted extends JobEvent {
  readonly kind = 'job.completed';
  constructor(
    readonly job: Job,
    readonly result: unknown,
    /** Handler run time in milliseconds. */
    readonly durationMs: number,
  ) {
    super();
  }
  get jobId(): string {
    return this.job.id;
  }
}

/** The job failed for good: no retries remain or the error was marked with noRetry. */
export class JobFailed extends JobEvent {
  readonly kind = 'job.failed';
  constructor(
    readonly job: Job,
    /** Readable error message. */
    readonly error: string,
    readonly cause: unknown,
  ) {
    super();
  }
  get jobId(): string {
    return this.job.id;
  }
}

export class JobRetrying extends JobEvent {
  readonly kind = 'job.retrying';
  constructor(
    readonly job: Job,
    /** The attempt that failed, 1 for the first run. */
    readonly attempt: number,
    readonly nextRunAt: Date,
    readonly error: string,
    readonly cause: unknown,
  ) {
    super();
  }
  get jobId(): string {
    return this.job.id;
  }
}

/** A job whose worker was lost (its lock went stale) was returned to pending, or failed. */
export class JobReclaimed extends JobEvent {
  readonly kind = 'job.reclaimed';
  constructor(
    readonly jobId: string,
    readonly type: string,
    readonly queue: string,
    /** The attempt that was lost; it counts as used. */
    readonly attempt: number,
    /** Worker id that held the expired lock. */
    readonly lostWorker: string | null,
    /** True when that attempt was the last one, so the job failed instead of returning to pending. */
    readonly failed: boolean,
    /** Worker id that reclaimed the job. */
    readonly reclaimedBy: string,
  ) {
    super();
  }
}

/**
 * A worker found that it no longer holds the lock of a job it runs, because another worker
 * reclaimed it after its lock went stale. The handler's AbortSignal fires and its result is
 * discarded.
 */
export class JobLockLost extends JobEvent {
  readonly kind = 'job.lock-lost';
  constructor(
    readonly job: Job,
    readonly workerId: string,
  ) {
    super();
  }
  get jobId(): string {
    return this.job.id;
  }
}

/** A durable call, step or phase checkpoint of a job was stored. */
export class CheckpointSaved extends JobEvent {
  readonly kind = 'checkpoint.saved';
  constructor(
    readonly jobId: string,
    readonly checkpointKind: 'call' | 'step' | 'phase',
    readonly name: string,
    /** Unique key of the checkpoint within the job, such as `call:charge#1`. */
    readonly key: string,
  ) {
    super();
  }
}

/** A job suspended itself in waiting while the sub-jobs of its fan-out run. */
export class JobSuspended extends JobEvent {
  readonly kind = 'job.suspended';
  constructor(
    readonly job: Job,
    readonly fanOutId: string,
    readonly subJobCount: number,
  ) {
    super();
  }
  get jobId(): string {
    return this.job.id;
  }
}

/** An ephemeral, application-defined event; it is not stored. */
export class CustomEvent extends JobEvent {
  constructor(
    readonly jobId: string,
    readonly kind: string,
    readonly data: Record<string, unknown>,
  ) {
    super();
  }
}

/** A constructor of an event class, as passed to ofKind and @OnJobEvent. */
export type JobEventClass<E extends JobEvent = JobEvent> = abstract new (...args: never[]) => E;
