import { DurableJobsError } from './durable-jobs.error.js';

export interface ArgsViolation {
  /** Dotted property path, such as `address.zip`. */
  property: string;
  value: unknown;
  /** class-validator constraint name to message, such as `{ isEmail: 'to must be an email' }`. */
  constraints: Record<string, string>;
}

/** The args of a job failed the class-validator DTO declared by its handler. */
export class ArgsValidationError extends DurableJobsError {
  constructor(
    readonly jobType: string,
    readonly violations: ArgsViolation[],
  ) {
    const lines = violations.map(
      (violation) => `  - ${violation.property}: ${Object.values(violation.constraints).join('; ')}`,
    );
    super(`Invalid args for job type "${jobType}":\n${lines.join('\n')}`);
  }
}
