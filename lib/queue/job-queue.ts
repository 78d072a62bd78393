import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { resolveBackoff, DEFAULT_BACKOFF } from '../common/backoff.js';
import { DEFAULT_QUEUE, JOB_STORAGE } from '../durable-jobs.constants.js';
import { MODULE_OPTIONS_TOKEN } from '../durable-jobs.module-definition.js';
import { DuplicateJobError } from '../errors/duplicate-job.error.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { JobEventBus, type Disposer, type JobFailHook, type JobHook, type JobRetryHook } from '../events/job-event-bus.js';
import { CustomEvent, JobEnqueued, type JobEvent } from '../events/job-events.js';
import type { DurableJobsModuleOptions } from '../interfaces/durable-jobs-options.interface.js';
import type { EnqueueManyItem, EnqueueOptions } from '../interfaces/enqueue-options.interface.js';
import type { JobHandlerFunction, JobHandlerOptions } from '../interfaces/handler-options.interface.js';
import type { Job, JobStatus } from '../interfaces/job.interface.js';
import { JobControl, type PauseJobOptions } from '../control/job-control.js';
import type { WorkerOptions } from '../interfaces/worker-options.interface.js';
import { systemClock } from '../scheduling/schedule-clock.js';
import { ScheduleManager } from '../scheduling/schedule-manager.js';
import type { ScheduleInfo, ScheduleOptions, ScheduleRegistration } from '../scheduling/schedule-options.interface.js';
import type { ScheduleSpec } from '../scheduling/schedule-spec.js';
import type { EnqueueResult, JobStorage, NewJob } from '../storage/job-storage.interface.js';
import { Wakeup } from '../worker/wakeup.js';
import { Worker, type SlotReservation } from '../worker/worker.js';
import { HandlerRegistry } from './handler-registry.js';
import { buildNewJob } from './new-job.factory.js';

/**
 * The entry point for application code: enqueue jobs, register handlers, create workers and
 * observe events. Inject it into any provider or controller.
 */
@Injectable()
export class JobQueue {
  private readonly logger = new Logger('DurableJobs');
  /** @internal */
  readonly registry: HandlerRegistry;
  /** @internal */
  readonly eventBus = new JobEventBus();
  /** @internal */
  readonly wakeup = new Wakeup();
  /** @internal */
  readonly schedules: ScheduleManager;
  private readonly workers = new Set<Worker>();
  private readonly control: JobControl;
  private enqueueListener: (() => Promise<void>) | undefined;

  constructor(
    @Inject(JOB_STORAGE) readonly storage: JobStorage,
    @Inject(MODULE_OPTIONS_TOKEN) options: DurableJobsModuleOptions,
  ) {
    const backoff = options.backoff ? resolveBackoff(options.backoff, 'module backoff') : DEFAULT_BACKOFF;
    this.registry = new HandlerRegistry(backoff);
    this.control = new JobControl(this.storage, this.eventBus, this.wakeup, () => this.workers);
    this.schedules = new ScheduleManager(storage, this.registry, options.scheduleClock ?? systemClock);
  }

  /** Every job event: enqueued, started, completed, failed, retrying and custom events. */
  get events$(): Observable<JobEvent> {
    return this.eventBus.events$;
  }

  /**
   * Registers a handler written in code. `source` only labels the handler in error messages.
   * Throws HandlerRegistrationError for a duplicate name or invalid options.
   */
  register<TArgs = any, TResult = unknown>(
    name: string,
    fn: JobHandlerFunction<TArgs, TResult>,
    options: JobHandlerOptions = {},
    source = `queue.register('${name}')`,
  ): void {
    this.registry.register(name, fn as JobHandlerFunction, options, source);
  }

  /**
   * Enqueues one job and returns its id (a UUIDv7). Throws InvalidOptionError,
   * InvalidPayloadError or ArgsValidationError before writing anything, and DuplicateJobError
   * when a live job has the unique key.
   */
  async enqueue<TArgs = unknown>(type: string, args: TArgs, options: EnqueueOptions = {}): Promise<string> {
    const job = await buildNewJob(this.registry, type, args, options);
    // A job with a run time, even a past one, keeps it and takes the usual path.
    const startsNow = options.manager === undefined && job.runAt === null && job.delayMs === 0;
    const reservation = startsNow ? this.reserveLocalSlot(job.queue) : null;
    if (reservation) return this.enqueueClaimed(job, reservation, options);
    const [result] = await this.storage.enqueue([job], options.manager);
    this.settleDuplicate(job, result, options.onDuplicate);
    if (result.inserted) this.announce(job, options.manager !== undefined);
    return result.id;
  }

  /**
   * Inserts a job that is due now already claimed by an idle worker of this process, which
   * starts it without a claim round trip.
   */
  private async enqueueClaimed(job: NewJob, reservation: SlotReservation, options: EnqueueOptions): Promise<string> {
    let enqueued: Awaited<ReturnType<JobStorage['enqueueClaimed']>>;
    try {
      enqueued = await this.storage.enqueueClaimed(job, reservation.claim);
    } catch (error) {
      reservation.cancel();
      throw error;
    }
    const { result, claimed } = enqueued;
    if (!claimed) reservation.cancel();
    this.settleDuplicate(job, result, options.onDuplicate);
    if (claimed) {
      this.eventBus.emit(new JobEnqueued(job.id, job.type, job.queue, job.priority, job.runAt));
      reservation.start(claimed);
    } else if (result.inserted) {
      this.announce(job, false);
    }
    return result.id;
  }

  /** Takes a free slot of `queue` on a running worker of this process, if one has any. */
  private reserveLocalSlot(queue: string): SlotReservation | null {
    for (const worker of this.workers) {
      const reservation = worker.reserveSlot(queue);
      if (reservation) return reservation;
    }
    return null;
  }

  /**
   * Enqueues a batch in one statement and returns the ids in input order. The batch is
   * validated as a whole first: one invalid item rejects the batch and nothing is written.
   */
  async enqueueMany(
    items: EnqueueManyItem[],
    batchOptions: Pick<EnqueueOptions, 'manager' | 'onDuplicate'> = {},
  ): Promise<string[]> {
    if (!Array.isArray(items)) throw new InvalidOptionError('enqueueMany items', items, 'must be an array');
    const jobs: NewJob[] = [];
    const keys = new Map<string, number>();
    for (const [index, item] of items.entries()) {
      const job = await buildNewJob(this.registry, item?.type, item?.args, item?.options ?? {}).catch((error: unknown) => {
        if (error instanceof Error) error.message = `enqueueMany item ${index}: ${error.message}`;
        throw error;
      });
      if (job.uniqueKey !== null) {
        const first = keys.get(job.uniqueKey);
        if (first !== undefined) {
          throw new InvalidOptionError(
            `unique key of item ${index}`,
            job.uniqueKey,
            `repeats the key of item ${first} in the same batch; each live job needs its own key`,
          );
        }
        keys.set(job.uniqueKey, index);
      }
      jobs.push(job);
    }
    if (jobs.length === 0) return [];

    // Unless duplicates resolve to the live job's id, a held key rejects the whole batch.
    const allOrNothing = batchOptions.onDuplicate !== 'return-existing';
    const results = await this.storage.enqueue(jobs, batchOptions.manager, { allOrNothing });
    results.forEach((result, index) => this.settleDuplicate(jobs[index], result, batchOptions.onDuplicate));
    jobs.forEach((job, index) => {
      if (results[index].inserted) this.announce(job, batchOptions.manager !== undefined);
    });
    return results.map((result) => result.id);
  }

  /** Returns the job with this id, or null. */
  getJob<TArgs = unknown, TResult = unknown>(id: string): Promise<Job<TArgs, TResult> | null> {
    return this.storage.getJob(id) as Promise<Job<TArgs, TResult> | null>;
  }

  /** Creates a worker that is started with `worker.start()`; shutdown of the application stops it. */
  newWorker(options: WorkerOptions = {}): Worker {
    const worker = new Worker(this, options);
    this.workers.add(worker);
    return worker;
  }

  /** @internal Queues of a worker that names none: `default` plus every registered handler's queue. */
  defaultQueueNames(): string[] {
    const handlerQueues = this.registry.all().map((handler) => handler.queue ?? DEFAULT_QUEUE);
    return [...new Set([DEFAULT_QUEUE, ...handlerQueues])];
  }

  /**
   * @internal Starts waking this process's workers on jobs enqueued by other processes,
   * once, when the first worker starts. The storage stops it when it closes.
   */
  listenForEnqueues(): void {
    this.enqueueListener ??= this.storage.listenForEnqueues((queues) => {
      if (queues === null) this.wakeup.notify();
      else for (const queue of queues) this.wakeup.notify(queue);
    });
  }

  /** @internal Stops the listener started by listenForEnqueues(), before the DataSource closes. */
  async stopListeningForEnqueues(): Promise<void> {
    const stop = this.enqueueListener;
    this.enqueueListener = undefined;
    await stop?.();
  }

  /** @internal Workers created so far, including the module's. */
  allWorkers(): Worker[] {
    return [...this.workers];
  }

  emit(event: JobEvent): void {
    this.eventBus.emit(event);
  }

  /** Emits an ephemeral CustomEvent; it is not stored. */
  emitCustomEvent(jobId: string, kind: string, data: Record<string, unknown> = {}): void {
    this.eventBus.emit(new CustomEvent(jobId, kind, data));
  }

  onJobStart(hook: JobHook): Disposer {
    return this.eventBus.onJobStart(hook);
  }

  onJobComplete(hook: JobHook): Disposer {
    return this.eventBus.onJobComplete(hook);
  }

  onJobFail(hook: JobFailHook): Disposer {
    return this.eventBus.onJobFail(hook);
  }

  onRetry(hook: JobRetryHook): Disposer {
    return this.eventBus.onRetry(hook);
  }

  /** Pauses a job; see PauseJobOptions for the modes. Throws JobNotFoundError or JobNotPausableError. */
  pauseJob(id: string, options: PauseJobOptions = {}): Promise<void> {
    return this.control.pauseJob(id, options);
  }

  /** Returns a paused job to the status it had and returns that status. Throws JobNotPausedError. */
  resumeJob(id: string): Promise<JobStatus> {
    return this.control.resumeJob(id);
  }

  isJobPaused(id: string): Promise<boolean> {
    return this.control.isJobPaused(id);
  }

  getPausedJobs(queue?: string): Promise<Job[]> {
    return this.control.getPausedJobs(queue);
  }

  /**
   * Cancels a live job and its fan-out descendants wherever they run; it is never retried.
   * Throws JobNotCancellableError when the job already ended, completed included.
   */
  cancelJob(id: string): Promise<void> {
    return this.control.cancelJob(id);
  }

  /** Stops every worker of every process from claiming jobs of the queue; running jobs finish. */
  pauseQueue(queue: string): Promise<void> {
    return this.control.pauseQueue(queue);
  }

  resumeQueue(queue: string): Promise<void> {
    return this.control.resumeQueue(queue);
  }

  isQueuePaused(queue: string): Promise<boolean> {
    return this.control.isQueuePaused(queue);
  }

  getPausedQueues(): Promise<string[]> {
    return this.control.getPausedQueues();
  }

  /**
   * Stores a schedule that enqueues a job of type `options.type ?? name` on every tick, or
   * updates the stored one of the same name. Register the job type's handler separately. Throws
   * InvalidScheduleError or InvalidOptionError before writing anything. See docs/schedules.md.
   */
  schedule<TArgs = unknown>(name: string, schedule: ScheduleSpec | string, options: ScheduleOptions<TArgs> = {}): Promise<ScheduleRegistration<TArgs>> {
    return this.schedules.register(name, schedule, options) as Promise<ScheduleRegistration<TArgs>>;
  }

  /** Returns every stored schedule, ordered by name. */
  listSchedules(): Promise<ScheduleInfo[]> {
    return this.schedules.list();
  }

  /** Returns the stored schedule of this name, or null. */
  getSchedule(name: string): Promise<ScheduleInfo | null> {
    return this.schedules.get(name);
  }

  /** Stops the schedule from firing, in every process, until resumed; false when it does not exist. */
  pauseSchedule(name: string): Promise<boolean> {
    return this.schedules.pause(name);
  }

  /** Resumes a paused schedule at its first tick after now; false when it does not exist. */
  resumeSchedule(name: string): Promise<boolean> {
    return this.schedules.resume(name);
  }

  /** Deletes the schedule; jobs it already enqueued stay. False when it does not exist. */
  removeSchedule(name: string): Promise<boolean> {
    return this.schedules.remove(name);
  }

  private settleDuplicate(job: NewJob, result: EnqueueResult, onDuplicate: EnqueueOptions['onDuplicate']): void {
    if (result.inserted) return;
    if (onDuplicate === 'return-existing') {
      this.logger.debug(`Unique key "${job.uniqueKey}" is held by job ${result.id}; returning that id`);
      return;
    }
    throw new DuplicateJobError(job.uniqueKey ?? '', result.id);
  }

  /**
   * Emits JobEnqueued and wakes this process's idle workers: at once for a job due now, at
   * its run time for a later one. A job due now inside a caller's transaction is not visible
   * until commit, so the next poll picks it up instead.
   */
  private announce(job: NewJob, inTransaction: boolean): void {
    this.eventBus.emit(new JobEnqueued(job.id, job.type, job.queue, job.priority, job.runAt));
    const runAt = job.runAt === null ? Date.now() + job.delayMs : job.runAt.getTime();
    if (runAt > Date.now()) this.wakeup.notifyAt(job.queue, runAt);
    else if (!inTransaction) this.wakeup.notify(job.queue);
  }
}
