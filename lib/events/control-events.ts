import type { PauseMode } from '../control/pause-mode.js';
import type { JobStatus } from '../interfaces/job.interface.js';
import { JobEvent } from './job-events.js';

export class JobPaused extends JobEvent {
  readonly kind = 'job.paused';
  constructor(
    readonly jobId: string,
    readonly mode: PauseMode,
    readonly previousStatus: JobStatus,
    /** Worker that ran the job when an aggressive pause stopped it, or null. */
    readonly interruptedWorker: string | null,
  ) {
    super();
  }
}

export class JobResumed extends JobEvent {
  readonly kind = 'job.resumed';
  constructor(
    readonly jobId: string,
    /** The status the job returned to. */
    readonly status: JobStatus,
  ) {
    super();
  }
}

export class JobCancelled extends JobEvent {
  readonly kind = 'job.cancelled';
  constructor(
    readonly jobId: string,
    readonly previousStatus: JobStatus,
    /** Ids of the fan-out descendants cancelled with the job. */
    readonly cancelledSubJobIds: string[],
  ) {
    super();
  }
}

export class QueuePaused extends JobEvent {
  readonly kind = 'queue.paused';
  readonly jobId = null;
  constructor(readonly queue: string) {
    super();
  }
}

export class QueueResumed extends JobEvent {
  readonly kind = 'queue.resumed';
  readonly jobId = null;
  constructor(readonly queue: string) {
    super();
  }
}

export class WorkerPaused extends JobEvent {
  readonly kind = 'worker.paused';
  readonly jobId = null;
  constructor(
    readonly workerId: string,
    readonly mode: PauseMode,
    /** Jobs running on the worker when it paused. */
    readonly runningJobs: number,
  ) {
    super();
  }
}

export class WorkerResumed extends JobEvent {
  readonly kind = 'worker.resumed';
  readonly jobId = null;
  constructor(readonly workerId: string) {
    super();
  }
}
