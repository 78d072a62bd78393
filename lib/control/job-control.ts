import { assertValidName } from '../common/names.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { JobNotFoundError } from '../errors/job-control.error.js';
import { JobCancelled, JobPaused, JobResumed, QueuePaused, QueueResumed } from '../events/control-events.js';
import type { JobEventBus } from '../events/job-event-bus.js';
import { JobStatus, type Job } from '../interfaces/job.interface.js';
import type { JobStorage } from '../storage/job-storage.interface.js';
import type { Wakeup } from '../worker/wakeup.js';
import type { Worker } from '../worker/worker.js';
import { PauseMode } from './pause-mode.js';

export interface PauseJobOptions {
  /** Graceful (default) keeps a pending, retrying or waiting job from running. Aggressive also stops a running one. */
  mode?: PauseMode;
}

/**
 * Pause, resume and cancel through the queue: the storage changes the job, then this process
 * aborts the affected handlers it runs at once and emits the event. Workers in other
 * processes notice at their next lock check.
 */
export class JobControl {
  constructor(
    private readonly storage: JobStorage,
    private readonly events: JobEventBus,
    private readonly wakeup: Wakeup,
    private readonly workers: () => Iterable<Worker>,
  ) {}

  async pauseJob(id: string, options: PauseJobOptions = {}): Promise<void> {
    const mode = options.mode ?? PauseMode.Graceful;
    if (mode !== PauseMode.Graceful && mode !== PauseMode.Aggressive) {
      throw new InvalidOptionError('pause mode', mode, 'must be PauseMode.Graceful or PauseMode.Aggressive');
    }
    const { previousStatus, interruptedWorker } = await this.storage.pauseJob(id, mode);
    if (previousStatus === JobStatus.Running) this.abortLocally(id, 'job-paused');
    this.events.emit(new JobPaused(id, mode, previousStatus, interruptedWorker));
  }

  async resumeJob(id: string): Promise<JobStatus> {
    const status = await this.storage.resumeJob(id);
    this.events.emit(new JobResumed(id, status));
    this.wakeup.notify();
    return status;
  }

  async isJobPaused(id: string): Promise<boolean> {
    const job = await this.storage.getJob(id);
    if (!job) throw new JobNotFoundError(id);
    return job.status === JobStatus.Paused;
  }

  getPausedJobs(queue?: string): Promise<Job[]> {
    if (queue !== undefined) assertValidName('queue', queue);
    return this.storage.getPausedJobs(queue);
  }

  async cancelJob(id: string): Promise<void> {
    const { previousStatus, cancelledIds } = await this.storage.cancelJob(id);
    for (const cancelled of cancelledIds) this.abortLocally(cancelled, 'cancelled');
    const subJobs = cancelledIds.filter((cancelled) => cancelled.toLowerCase() !== id.toLowerCase());
    this.events.emit(new JobCancelled(id, previousStatus, subJobs));
    // A cancelled sub-job may have decided its fan-out and woken the parent.
    this.wakeup.notify();
  }

  async pauseQueue(queue: string): Promise<void> {
    await this.storage.pauseQueue(queue);
    this.events.emit(new QueuePaused(queue));
  }

  async resumeQueue(queue: string): Promise<void> {
    await this.storage.resumeQueue(queue);
    this.events.emit(new QueueResumed(queue));
    this.wakeup.notify(queue);
  }

  async isQueuePaused(queue: string): Promise<boolean> {
    assertValidName('queue', queue);
    return (await this.storage.getPausedQueues()).includes(queue);
  }

  getPausedQueues(): Promise<string[]> {
    return this.storage.getPausedQueues();
  }

  private abortLocally(jobId: string, reason: 'cancelled' | 'job-paused'): void {
    for (const worker of this.workers()) if (worker.abortIfRunning(jobId, reason)) return;
  }
}
