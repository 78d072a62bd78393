import type { BackoffOptions } from '../common/backoff.js';
import type { JobContext } from '../queue/job-context.js';

/** A class-validator DTO class for a handler's args. */
export type ArgsClass<T = unknown> = new (...args: never[]) => T;

/**
 * A job handler. All four shapes of handler work: with or without the context argument,
 * returning a result or nothing, synchronously or with a promise.
 */
export type JobHandlerFunction<TArgs = any, TResult = unknown> = (
  args: TArgs,
  ctx: JobContext<TArgs>,
) => TResult | Promise<TResult>;

export interface JobHandlerOptions {
  /** Queue that jobs of this type go to unless enqueue names another. Default `'default'`. */
  queue?: string;
  /** Retries after the first run, unless enqueue sets its own. Default 3. */
  retries?: number;
  /** Priority unless enqueue sets its own; higher runs first. Default 0. */
  priority?: number;
  /**
   * class-validator DTO class. Args are validated against it at enqueue and again before
   * the handler runs, and the handler receives an instance of it.
   */
  args?: ArgsClass;
  /** Backoff between retries; fields left out come from the module's backoff option. */
  backoff?: BackoffOptions;
}
