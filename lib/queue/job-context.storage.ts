import { AsyncLocalStorage } from 'node:async_hooks';
import type { Job } from '../interfaces/job.interface.js';
import type { JobContext } from './job-context.js';

/** Carries the running job's context through its async call chain. */
export const jobContextStorage = new AsyncLocalStorage<JobContext>();

/** Returns the context of the job whose handler is running, or undefined outside a handler. */
export function currentJobContext(): JobContext | undefined {
  return jobContextStorage.getStore();
}

/** Returns the job whose handler is running, or undefined outside a handler. */
export function jobFromContext<TArgs = unknown>(): Job<TArgs> | undefined {
  return jobContextStorage.getStore()?.job as Job<TArgs> | undefined;
}

/** Returns the id of the job whose handler is running, or undefined outside a handler. */
export function jobIdFromContext(): string | undefined {
  return jobContextStorage.getStore()?.job.id;
}
