import { NoRetryError } from './retry-control.error.js';

/**
 * A re-run of a job made its durable calls and steps in another order than the run that
 * recorded their checkpoints. Replaying the stored results would hand them to the wrong
 * calls, so the job fails without retry; deploy handler changes that reorder calls only
 * when no job of that type is in flight.
 */
export class DeterminismError extends NoRetryError {
  constructor(
    readonly jobId: string,
    readonly position: number,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      new Error(
        `Job ${jobId} is not deterministic: durable call number ${position + 1} was recorded as ${expected} ` +
          `but this run made ${actual}. Keep the order of ctx.call() and ctx.step() stable between runs of a job.`,
      ),
    );
  }
}
