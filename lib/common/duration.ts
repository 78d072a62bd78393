import ms from 'ms';
import { InvalidOptionError } from '../errors/invalid-option.error.js';

/** Milliseconds, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'2h'` or `'1d'`. */
export type Duration = number | string;

/**
 * Parses a duration into milliseconds. `field` names the option in the error, so that a
 * rejected value points at its source.
 */
export function parseDuration(value: Duration, field: string): number {
  let parsed: number | undefined;
  if (typeof value === 'number') {
    parsed = value;
  } else if (typeof value === 'string' && value.trim() !== '') {
    // ms() accepts bare numbers as milliseconds and returns undefined for unknown units.
    parsed = ms(value.trim() as ms.StringValue);
  }
  if (parsed === undefined || !Number.isFinite(parsed)) {
    throw new InvalidOptionError(
      field,
      value,
      "not a duration; use milliseconds or a string such as '250ms', '30s', '5m' or '2h'",
    );
  }
  if (parsed < 0) throw new InvalidOptionError(field, value, 'must not be negative');
  return Math.round(parsed);
}
