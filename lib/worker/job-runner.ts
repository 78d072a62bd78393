import type { Logger } from '@nestjs/common';
import type { RateLimitedLogger } from '../common/rate-limited-logger.js';
import type { DurableRunDependencies } from '../durable/durable-run.js';
import { JobSuspendedSignal, LockLostSignal } from '../durable/run-interruptions.js';
import { messageOf } from '../errors/retry-control.error.js';
import { JobCompleted, JobFailed, JobLockLost, JobRetrying, JobStarted } from '../events/job-events.js';
import { JobStatus, type Job } from '../interfaces/job.interface.js';
import type { JobContextRuntime } from '../queue/job-context.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { JobOutcome } from '../storage/job-storage.interface.js';
import { executeJob, failureOutcome } from './job-execution.js';
import type { OutcomeBuffer } from './outcome-buffer.js';
import type { RetryingStorageCalls } from './retrying-storage-calls.js';
import { abortRun, releasesJob, type RunningJob } from './running-job.js';

/**
 * Runs one claimed job on behalf of a worker: the handler, then the outcome write and the
 * events that follow it. An outcome is written only while the worker still holds the lock.
 */
export class JobRunner {
  constructor(
    private readonly queue: JobQueue,
    private readonly worker: JobContextRuntime,
    private readonly outcomes: OutcomeBuffer,
    private readonly storageCalls: RetryingStorageCalls,
    private readonly logger: Logger,
    private readonly errors: RateLimitedLogger,
  ) {}

  /** `handlerSettled` is called once the handler returned, threw or was abandoned, before the outcome is written. */
  async run(entry: RunningJob, handlerSettled: () => void): Promise<void> {
    const { job } = entry;
    const events = this.queue.eventBus;
    events.emit(new JobStarted(job, this.worker.workerId));
    const started = performance.now();
    const execution = await executeJob(this.durableDependencies, this.worker, job, entry.abort);
    entry.finishing = true;
    const durationMs = performance.now() - started;
    handlerSettled();

    if (execution.kind === 'aborted') {
      // Shutdown and a worker pause give the job back. Otherwise the database already has the job's next state.
      if (releasesJob(entry.abortReason)) {
        await this.write({ id: job.id, workerId: this.worker.workerId, attempt: job.attempt, kind: 'released' }, job);
      }
      return;
    }
    if (execution.kind === 'completed') {
      const outcome: JobOutcome = { id: job.id, workerId: this.worker.workerId, attempt: job.attempt, kind: 'completed', resultJson: execution.resultJson };
      if (await this.write(outcome, job)) {
        // A sub-job's outcome may have decided its fan-out and woken the parent, on any queue.
        if (job.parentJobId) this.queue.wakeup.notify();
        const finished = { ...job, status: JobStatus.Completed, result: execution.result, completedAt: new Date() };
        events.emit(new JobCompleted(finished, execution.result, durationMs));
      }
      return;
    }

    if (execution.cause instanceof JobSuspendedSignal) {
      // The suspension committed the job's new state; the handler's slot is free now.
      entry.abort.abort(new Error('the job is suspended while its fan-out runs'));
      return;
    }
    if (execution.cause instanceof LockLostSignal) {
      this.logger.warn(`Job ${job.id} (${job.type}): worker ${this.worker.workerId} lost its lock during a durable write; the run is discarded`);
      abortRun(entry, 'lock-lost');
      this.queue.eventBus.emit(new JobLockLost(job, this.worker.workerId));
      return;
    }
    const outcome = failureOutcome(job, this.worker.workerId, execution.cause, this.queue.registry.get(job.type)?.backoff ?? this.queue.registry.defaultBackoff);
    const message = messageOf(execution.cause);
    if (!(await this.write(outcome, job))) return;
    if (job.parentJobId && outcome.kind === 'failed') this.queue.wakeup.notify();
    if (outcome.kind === 'retrying') {
      const nextRunAt = new Date(Date.now() + outcome.delayMs);
      this.queue.wakeup.notifyAt(job.queue, nextRunAt.getTime());
      this.logger.warn(`Job ${job.id} (${job.type}) attempt ${job.attempt} failed, retrying at ${nextRunAt.toISOString()}: ${message}`);
      events.emit(new JobRetrying({ ...job, status: JobStatus.Retrying, lastError: message }, job.attempt, nextRunAt, message, execution.cause));
    } else {
      this.logger.error(`Job ${job.id} (${job.type}) failed after attempt ${job.attempt}: ${message}`);
      events.emit(new JobFailed({ ...job, status: JobStatus.Failed, lastError: message, completedAt: new Date() }, message, execution.cause));
    }
  }

  private get durableDependencies(): DurableRunDependencies {
    return {
      storage: this.queue.storage,
      registry: this.queue.registry,
      events: this.queue.eventBus,
      wakeup: this.queue.wakeup,
      workerId: this.worker.workerId,
    };
  }

  /** Writes one outcome; returns false when the fence rejected it because the lock was lost. */
  private async write(outcome: JobOutcome, job: Job): Promise<boolean> {
    try {
      if (!(await this.outcomes.record(outcome))) {
        this.logger.warn(
          `Job ${outcome.id}: result of attempt ${outcome.attempt} discarded because worker ${this.worker.workerId} no longer holds its lock`,
        );
        this.queue.eventBus.emit(new JobLockLost(job, this.worker.workerId));
        return false;
      }
      return true;
    } catch (error) {
      // The job stays running under this worker's lock. The heartbeat stops renewing that lock
      // once the run ends, so it goes stale and the stale-lock reaper returns the job to
      // pending. This worker never runs the job again on its own.
      this.errors.error(
        'write',
        `Worker ${this.worker.workerId} failed to record the ${outcome.kind} outcome of job ${outcome.id} (attempt ${outcome.attempt}); ` +
          `the job is reclaimed once its lock goes stale: ${this.storageCalls.describeFailure(error)}`,
      );
      return false;
    }
  }
}
