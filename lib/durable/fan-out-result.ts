import type { JobStatus } from '../interfaces/job.interface.js';

/** The outcome of one sub-job of a fan-out, at the position of its sub. */
export type FanOutResult<T> =
  | { ok: true; index: number; jobId: string; value: T }
  | {
      ok: false;
      index: number;
      jobId: string;
      status: JobStatus;
      /** Error message of the sub-job, or why it has no result. */
      error: string;
      /** False when the fan-out was decided before this sub-job finished. */
      finished: boolean;
    };

/** An error standing for one failed sub-job, as partition() returns it. */
export class SubJobError extends Error {
  constructor(
    readonly jobId: string,
    readonly index: number,
    message: string,
  ) {
    super(message);
    this.name = 'SubJobError';
  }
}

/** Returns the values of the sub-jobs that succeeded, in sub order. */
export function values<T>(results: FanOutResult<T>[]): T[] {
  return results.flatMap((result) => (result.ok ? [result.value] : []));
}

/** Splits results into the values of the successes and errors for the failures. */
export function partition<T>(results: FanOutResult<T>[]): [T[], SubJobError[]] {
  const succeeded: T[] = [];
  const failed: SubJobError[] = [];
  for (const result of results) {
    if (result.ok) succeeded.push(result.value);
    else failed.push(new SubJobError(result.jobId, result.index, result.error));
  }
  return [succeeded, failed];
}

export function allSucceeded<T>(results: FanOutResult<T>[]): boolean {
  return results.every((result) => result.ok);
}

export function successCount<T>(results: FanOutResult<T>[]): number {
  return results.filter((result) => result.ok).length;
}
