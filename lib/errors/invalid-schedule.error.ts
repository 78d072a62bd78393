import { InvalidOptionError, describeValue } from './invalid-option.error.js';

/**
 * A schedule was rejected at registration: its timing cannot be parsed, is out of range or can
 * never fire, or its job options are invalid. A subclass of InvalidOptionError, so handlers of
 * that error catch it too.
 */
export class InvalidScheduleError extends InvalidOptionError {
  constructor(
    readonly scheduleName: string,
    field: string,
    value: unknown,
    problem: string,
  ) {
    super(field, value, problem);
    this.message = `Invalid schedule "${scheduleName}": ${field} ${describeValue(value)} ${problem}`;
  }
}
