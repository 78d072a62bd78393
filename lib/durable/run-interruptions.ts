/**
 * Thrown out of ctx.fanOut() once the parent is suspended, to unwind the handler. The worker
 * recognises it and writes nothing more, because the suspension already committed. A handler
 * must let it propagate: catching it keeps the handler running while the job is waiting, and
 * whatever it returns is discarded.
 */
export class JobSuspendedSignal extends Error {
  constructor(readonly fanOutId: string) {
    super('The job is suspended while its fan-out runs; let this error propagate out of the handler');
    this.name = 'JobSuspendedSignal';
  }
}

/** A fenced checkpoint or suspension write found that this worker no longer holds the job's lock. */
export class LockLostSignal extends Error {
  constructor(readonly jobId: string) {
    super(`The lock of job ${jobId} was lost; this run's work is discarded`);
    this.name = 'LockLostSignal';
  }
}
