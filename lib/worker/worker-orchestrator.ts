import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { MODULE_OPTIONS_TOKEN } from '../durable-jobs.module-definition.js';
import type { DurableJobsModuleOptions } from '../interfaces/durable-jobs-options.interface.js';
import { JobQueue } from '../queue/job-queue.js';
import { poolCapacityWarning } from '../storage/pool-capacity.js';
import { TypeOrmJobStorage } from '../storage/typeorm-job-storage.js';
import type { Worker } from './worker.js';

/**
 * Starts the workers named in the module options once every handler is registered, and
 * drains all workers of the queue, including those from queue.newWorker(), at shutdown.
 */
@Injectable()
export class WorkerOrchestrator implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('DurableJobs');
  private readonly runs: Promise<void>[] = [];

  constructor(
    private readonly queue: JobQueue,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: DurableJobsModuleOptions,
  ) {}

  onApplicationBootstrap(): void {
    // Only the implicit default worker runs the scheduler unasked; explicit workers opt in.
    const configured = this.options.workers ?? [{ scheduler: true }];
    if (configured.length === 0) {
      this.logger.log('No workers in this process; jobs are only enqueued here');
      return;
    }
    const workers: Worker[] = configured.map((workerOptions) => this.queue.newWorker(workerOptions));
    for (const worker of workers) this.runs.push(worker.start());
    this.warnIfPoolTooSmall(workers);
  }

  /** Reports at start-up a pool that cannot serve every worker connection at once. */
  private warnIfPoolTooSmall(workers: Worker[]): void {
    const storage = this.queue.storage;
    if (!(storage instanceof TypeOrmJobStorage)) return;
    const warning = poolCapacityWarning(storage.dataSource.options, workers, this.options.dataSource !== undefined);
    if (warning) this.logger.warn(warning);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.queue.allWorkers().map((worker) => worker.stop()));
    await Promise.all(this.runs);
    // An application's TypeOrmModule may close a shared DataSource before this module's
    // shutdown hook runs, and its pool waits for the listening connection to come back.
    await this.queue.stopListeningForEnqueues();
  }

  async onApplicationShutdown(): Promise<void> {
    this.queue.eventBus.complete();
    await this.queue.storage.close();
  }
}
