import { DurableJobsError } from './durable-jobs.error.js';

/** A value cannot be stored as JSON without losing information. */
export class InvalidPayloadError extends DurableJobsError {
  constructor(
    /** The payload: `args`, `result` or a checkpoint name. */
    readonly field: string,
    /** Location inside the payload, such as `args.items[3].price`. */
    readonly path: string,
    readonly problem: string,
  ) {
    super(
      `Invalid ${field} at ${path}: ${problem}. ` +
        'Payloads are stored as JSON: use null, booleans, finite numbers, strings, arrays and plain objects.',
    );
  }
}
