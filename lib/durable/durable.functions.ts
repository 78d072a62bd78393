import { NotInJobContextError } from '../errors/not-in-job-context.error.js';
import type { JobContext } from '../queue/job-context.js';
import { currentJobContext } from '../queue/job-context.storage.js';
import type { FanOutResult } from './fan-out-result.js';
import type { FanOutOption, SubJob } from './fan-out.options.js';

// The free forms of the durable helpers find the running job through AsyncLocalStorage, so
// code deep inside a handler's call chain can use them without passing ctx along.

function contextFor(helper: string): JobContext {
  const ctx = currentJobContext();
  if (!ctx) throw new NotInJobContextError(helper);
  return ctx;
}

/** ctx.call() for the job whose handler is running. */
export async function call<T = unknown>(name: string, args: unknown): Promise<T> {
  return contextFor('call').call<T>(name, args);
}

/** ctx.step() for the job whose handler is running. */
export async function step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  return contextFor('step').step(name, fn);
}

/** ctx.savePhaseCheckpoint() for the job whose handler is running. */
export async function savePhaseCheckpoint(name: string, value: unknown): Promise<void> {
  return contextFor('savePhaseCheckpoint').savePhaseCheckpoint(name, value);
}

/** ctx.loadPhaseCheckpoint() for the job whose handler is running. */
export async function loadPhaseCheckpoint<T = unknown>(name: string): Promise<{ found: boolean; value: T | undefined }> {
  return contextFor('loadPhaseCheckpoint').loadPhaseCheckpoint<T>(name);
}

/** ctx.fanOut() for the job whose handler is running. */
export async function fanOut<T = unknown>(subs: SubJob[], ...options: FanOutOption[]): Promise<FanOutResult<T>[]> {
  return contextFor('fanOut').fanOut<T>(subs, ...options);
}
