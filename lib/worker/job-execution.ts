import { computeBackoff } from '../common/backoff.js';
import { encodeJson } from '../common/json-payload.js';
import { NoRetryError, RetryAfterError, messageOf } from '../errors/retry-control.error.js';
import { UnknownJobTypeError } from '../errors/unknown-job-type.error.js';
import type { Job } from '../interfaces/job.interface.js';
import { DurableRun, type DurableRunDependencies } from '../durable/durable-run.js';
import { validateArgs } from '../queue/handler-registry.js';
import { JobContext, type JobContextRuntime } from '../queue/job-context.js';
import { jobContextStorage } from '../queue/job-context.storage.js';
import type { JobOutcome } from '../storage/job-storage.interface.js';
import type { RunAbort } from './run-abort.js';

/** Marks a run that ended because its signal fired, not because the handler settled. */
class RunAborted {
  constructor(readonly reason: unknown) {}
}

export type ExecutionResult =
  | { kind: 'completed'; result: unknown; resultJson: string }
  | { kind: 'error'; cause: unknown }
  | { kind: 'aborted' };

/**
 * Runs the handler of a claimed job inside its AsyncLocalStorage context. Resolves as soon
 * as the handler settles or the signal fires; a handler that ignores its signal keeps
 * running in the background, but its late result is never written.
 */
export async function executeJob(
  dependencies: DurableRunDependencies,
  runtime: JobContextRuntime,
  job: Job,
  abort: RunAbort,
): Promise<ExecutionResult> {
  const { registry } = dependencies;
  const handler = registry.get(job.type);
  if (!handler) return { kind: 'error', cause: new UnknownJobTypeError(job.type, runtime.workerId) };

  let args: unknown;
  try {
    args = await validateArgs(handler, job.args);
  } catch (error) {
    // Stored args that fail validation will fail on every run, so retrying is pointless.
    return { kind: 'error', cause: new NoRetryError(error) };
  }

  const ctx = new JobContext(job, abort, runtime, new DurableRun(job, dependencies));
  const run = jobContextStorage.run(ctx, async () => handler.fn(args, ctx));
  let result: unknown;
  try {
    result = await raceAbort(run, abort);
  } catch (error) {
    if (error instanceof RunAborted) return { kind: 'aborted' };
    return { kind: 'error', cause: error };
  }

  try {
    // A handler that returns nothing completes with a null result, as stored.
    const stored = result === undefined ? null : result;
    return { kind: 'completed', result: stored, resultJson: encodeJson('result', stored) };
  } catch (error) {
    // The side effects already happened; running the handler again would repeat them.
    return { kind: 'error', cause: new NoRetryError(error) };
  }
}

function raceAbort<T>(work: Promise<T>, abort: RunAbort): Promise<T> {
  if (abort.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new RunAborted(abort.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const stopWaiting = abort.onAbort((reason) => {
      work.catch(() => undefined);
      reject(new RunAborted(reason));
    });
    work.then(
      (value) => {
        stopWaiting();
        resolve(value);
      },
      (error) => {
        stopWaiting();
        reject(error);
      },
    );
  });
}

/** Decides between retrying and failing for good, and the delay before the retry. */
export function failureOutcome(
  job: Job,
  workerId: string,
  cause: unknown,
  fallbackBackoff: Parameters<typeof computeBackoff>[0],
): JobOutcome & { kind: 'failed' | 'retrying' } {
  const token = { id: job.id, workerId, attempt: job.attempt };
  const errorJson = JSON.stringify(messageOf(cause));
  const retriesLeft = job.attempt <= job.maxRetries;
  if (cause instanceof NoRetryError || !retriesLeft) return { ...token, kind: 'failed', errorJson };
  const delayMs =
    cause instanceof RetryAfterError ? cause.delayMs : computeBackoff(job.backoff ?? fallbackBackoff, job.attempt);
  return { ...token, kind: 'retrying', errorJson, delayMs };
}
