import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JOB_STORAGE } from './durable-jobs.constants.js';
import { DurableJobsConfigurableModule, MODULE_OPTIONS_TOKEN, type OPTIONS_TYPE } from './durable-jobs.module-definition.js';
import { DurableJobsExplorer } from './discovery/durable-jobs.explorer.js';
import { DurableJobsMetadataAccessor } from './discovery/durable-jobs-metadata.accessor.js';
import type { DurableJobsModuleOptions } from './interfaces/durable-jobs-options.interface.js';
import { JobQueue } from './queue/job-queue.js';
import { createJobStorage } from './storage/job-storage.factory.js';
import { WorkerOrchestrator } from './worker/worker-orchestrator.js';

const storageProvider: Provider = {
  provide: JOB_STORAGE,
  inject: [MODULE_OPTIONS_TOKEN],
  // A database that is down at boot must not stop the application; see connectRetry.
  useFactory: ({ connectRetry, ...options }: DurableJobsModuleOptions) =>
    createJobStorage({ ...options, connectRetry: connectRetry === false ? undefined : (connectRetry ?? {}) }),
};

/**
 * Durable background jobs. `DurableJobsModule.forRoot(options)` or `forRootAsync(...)`
 * provides JobQueue, discovers @JobHandler and @OnJobEvent methods and runs the workers.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [storageProvider, JobQueue, DurableJobsMetadataAccessor, DurableJobsExplorer, WorkerOrchestrator],
  exports: [JobQueue, JOB_STORAGE],
})
export class DurableJobsModule extends DurableJobsConfigurableModule {
  /** Registers the module; with no options, jobs live in the SQLite file `./durable-jobs.sqlite`. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
