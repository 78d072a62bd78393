import { DurableJobsError } from './durable-jobs.error.js';

/** An option, name or duration was rejected before anything was written. */
export class InvalidOptionError extends DurableJobsError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    problem: string,
  ) {
    super(`Invalid ${field} ${describeValue(value)}: ${problem}`);
  }
}

/** Renders a rejected value for an error message without throwing on odd inputs. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'object' && value !== null) return Object.prototype.toString.call(value);
  return String(value);
}
