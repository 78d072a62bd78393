import type { FanOutResult } from '../durable/fan-out-result.js';
import { NoRetryError } from './retry-control.error.js';

/**
 * A fan-out was decided as failed: a sub-job failed under failFast(), or the share of
 * successes can no longer reach threshold(). The parent fails without retry, because
 * running it again replays the same decided fan-out. `results` contains every sub-job's
 * outcome in the order of the subs.
 */
export class FanOutFailedError extends NoRetryError {
  constructor(
    readonly fanOutKey: string,
    readonly results: FanOutResult<unknown>[],
    reason: string,
  ) {
    super(new Error(`Fan-out ${fanOutKey} failed: ${reason}`));
  }
}

/** A fan-out passed its fanOutTimeout() before it was decided. */
export class FanOutTimeoutError extends NoRetryError {
  constructor(
    readonly fanOutKey: string,
    readonly results: FanOutResult<unknown>[],
  ) {
    const finished = results.filter((result) => result.ok || result.finished).length;
    super(new Error(`Fan-out ${fanOutKey} timed out with ${finished} of ${results.length} sub-jobs finished`));
  }
}
