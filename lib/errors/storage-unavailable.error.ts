import { DurableJobsError } from './durable-jobs.error.js';
import { messageOf } from './retry-control.error.js';

/**
 * The job database was unreachable: the storage had not connected and migrated within the
 * wait allowed. The storage keeps reconnecting in the background, so a later call may succeed.
 * `cause` is the error of the last connection attempt, when there was one.
 */
export class StorageUnavailableError extends DurableJobsError {
  constructor(
    readonly dialect: 'postgres' | 'sqlite',
    readonly waitedMs: number,
    cause: unknown,
  ) {
    const last = cause === undefined ? 'no connection attempt has finished yet' : `last error: ${messageOf(cause)}`;
    super(
      `The job database (${dialect}) is unreachable: the storage was not ready after ${waitedMs}ms (${last}). ` +
        'It keeps reconnecting in the background; retry the call later.',
      { cause },
    );
  }
}
