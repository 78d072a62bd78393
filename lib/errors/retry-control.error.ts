import { DurableJobsError } from './durable-jobs.error.js';

/** Thrown by a handler to fail its job at once, whatever retries remain. */
export class NoRetryError extends DurableJobsError {
  constructor(override readonly cause: unknown) {
    super(messageOf(cause), { cause });
  }
}

/** Thrown by a handler to retry after a fixed delay instead of the backoff, while retries remain. */
export class RetryAfterError extends DurableJobsError {
  constructor(
    readonly delayMs: number,
    override readonly cause: unknown,
  ) {
    super(messageOf(cause), { cause });
  }
}

/** Turns any thrown value into a readable message. */
export function messageOf(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message || thrown.name;
  if (typeof thrown === 'string') return thrown;
  if (thrown === undefined) return 'undefined was thrown';
  if (thrown === null) return 'null was thrown';
  try {
    const json = JSON.stringify(thrown);
    if (json !== undefined) return `non-Error value thrown: ${json}`;
  } catch {
    // Circular or BigInt values fall through to String().
  }
  return `non-Error value thrown: ${String(thrown)}`;
}

/** Wraps an error so that the job fails at once, whatever retries remain. */
export function noRetry(error: unknown): NoRetryError {
  return new NoRetryError(error);
}
