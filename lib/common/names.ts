import { InvalidOptionError } from '../errors/invalid-option.error.js';

export const MAX_NAME_LENGTH = 255;

// C0 and C1 control characters, DEL included; NUL is among them.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a job type, queue name or unique key: a non-empty string of at most 255 characters
 * without control characters, so that it prints cleanly in logs and the dashboard.
 */
export function assertValidName(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidOptionError(field, value, 'must be a string');
  if (value.length === 0) throw new InvalidOptionError(field, value, 'must not be empty');
  if (value.length > MAX_NAME_LENGTH) {
    throw new InvalidOptionError(
      field,
      value,
      `is ${value.length} characters long; the maximum is ${MAX_NAME_LENGTH}`,
    );
  }
  const control = CONTROL_CHARACTER.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new InvalidOptionError(
      field,
      value,
      `contains the control character U+${code.toUpperCase()} at index ${control.index}; remove it`,
    );
  }
  return value;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Checks an integer option that is stored in a 32-bit column. */
export function assertInteger(field: string, value: unknown, min = INT32_MIN, max = INT32_MAX): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new InvalidOptionError(field, value, 'must be an integer');
  }
  if (value < min || value > max) {
    throw new InvalidOptionError(field, value, `must be between ${min} and ${max}`);
  }
  return value;
}

/** Retries beyond this are almost certainly a unit mistake. */
export const MAX_RETRIES = 1_000_000;
