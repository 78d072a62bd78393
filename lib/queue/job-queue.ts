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
import type { Job } from '../interfaces/job.interface.js';
import type { WorkerOptions } from '../interfaces/worker-options.interface.js';
import type { EnqueueResult, JobStorage, NewJob } from '../storage/job-storage.interface.js';
import { Wakeup } from '../worker/wakeup.js';
import { Worker } from '../worker/worker.js';
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
  private readonly workers = new Set<Worker>();

  constructor(
    @Inject(JOB_STORAGE) readonly storage: JobStorage,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: DurableJobsModuleOptions,
  ) {
    const backoff = options.backoff ? resolveBackoff(options.backoff, 'module backoff') : DEFAULT_BACKOFF;
    this.registry = new HandlerRegistry(backoff);
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
   * when a live job holds the unique key.
   */
  async enqueue<TArgs = unknown>(type: string, args: TArgs, options: EnqueueOptions = {}): Promise<string> {
    const job = await buildNewJob(this.registry, type, args, options);
    const [result] = await this.storage.enqueue([job], options.manager);
    this.settleDuplicate(job, result, options.onDuplicate);
    if (result.inserted) this.announce(job, options.manager !== undefined);
    return result.id;
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

  private settleDuplicate(job: NewJob, result: EnqueueResult, onDuplicate: EnqueueOptions['onDuplicate']): void {
    if (result.inserted) return;
    if (onDuplicate === 'return-existing') {
      this.logger.debug(`Unique key "${job.uniqueKey}" is held by job ${result.id}; returning that id`);
      return;
    }
    throw new DuplicateJobError(job.uniqueKey ?? '', result.id);
  }

  /**
   * Emits JobEnqueued and wakes this process's idle workers. Inside a caller's transaction
   * the row is not visible until commit, so the next poll picks it up instead.
   */
  private announce(job: NewJob, inTransaction: boolean): void {
    this.eventBus.emit(new JobEnqueued(job.id, job.type, job.queue, job.priority, job.runAt));
    if (!inTransaction && job.delayMs === 0 && (job.runAt === null || job.runAt.getTime() <= Date.now())) {
      this.wakeup.notify(job.queue);
    }
  }
}
