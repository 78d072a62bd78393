import type { EntityManager } from 'typeorm';
import type { BackoffOptions } from '../common/backoff.js';
import type { Duration } from '../common/duration.js';

export interface EnqueueOptions {
  /** Higher runs first. Default: the handler's priority, else 0. */
  priority?: number;
  /** Retries after the first run; 0 means exactly one run. Default: the handler's, else 3. */
  retries?: number;
  /** Run no earlier than this long after enqueue, on the database clock. */
  delay?: Duration;
  /** Run no earlier than this time. Cannot be combined with delay. */
  at?: Date | string | number;
  /** Queue name. Default: the handler's queue, else `'default'`. */
  queue?: string;
  /** Key held while the job is live (not completed, failed or cancelled); a second enqueue with it is a duplicate. */
  unique?: string;
  /** `'error'` (default) throws DuplicateJobError; `'return-existing'` returns the live job's id. */
  onDuplicate?: 'error' | 'return-existing';
  /** Backoff between retries of this job; fields left out come from the handler. */
  backoff?: BackoffOptions;
  /**
   * Inserts through this TypeORM EntityManager, so the job commits or rolls back with the
   * caller's transaction. It must belong to the DataSource that the module uses.
   */
  manager?: EntityManager;
}

/** One entry of enqueueMany. `manager` and `onDuplicate` apply to the whole batch instead. */
export interface EnqueueManyItem<TArgs = unknown> {
  type: string;
  args: TArgs;
  options?: Omit<EnqueueOptions, 'manager' | 'onDuplicate'>;
}
