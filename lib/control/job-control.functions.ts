import { assertValidName } from '../common/names.js';
import { JobNotFoundError } from '../errors/job-control.error.js';
import { JobStatus, type Job } from '../interfaces/job.interface.js';
import type { JobStorage } from '../storage/job-storage.interface.js';
import { PauseMode } from './pause-mode.js';

// Pause and resume straight on a JobStorage, for scripts and tools without a JobQueue. They
// emit no events; a running job paused here is aborted by its worker at its next lock check.

export async function pauseJob(storage: JobStorage, id: string, options: { mode?: PauseMode } = {}): Promise<void> {
  await storage.pauseJob(id, options.mode ?? PauseMode.Graceful);
}

export function resumeJob(storage: JobStorage, id: string): Promise<JobStatus> {
  return storage.resumeJob(id);
}

export async function isJobPaused(storage: JobStorage, id: string): Promise<boolean> {
  const job = await storage.getJob(id);
  if (!job) throw new JobNotFoundError(id);
  return job.status === JobStatus.Paused;
}

export function getPausedJobs(storage: JobStorage, queue?: string): Promise<Job[]> {
  if (queue !== undefined) assertValidName('queue', queue);
  return storage.getPausedJobs(queue);
}

export function pauseQueue(storage: JobStorage, queue: string): Promise<void> {
  return storage.pauseQueue(queue);
}

export function resumeQueue(storage: JobStorage, queue: string): Promise<void> {
  return storage.resumeQueue(queue);
}

export async function isQueuePaused(storage: JobStorage, queue: string): Promise<boolean> {
  assertValidName('queue', queue);
  return (await storage.getPausedQueues()).includes(queue);
}

export function getPausedQueues(storage: JobStorage): Promise<string[]> {
  return storage.getPausedQueues();
}
