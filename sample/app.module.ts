import { Logger, Module, type BeforeApplicationShutdown } from '@nestjs/common';
import { DurableJobsModule } from '../lib/index.js';
import { createDurableJobsOptions } from './durable-jobs.config.js';
import { FlightsModule } from './flights/flights.module.js';
import { JobsController } from './http/jobs.controller.js';

@Module({
  imports: [DurableJobsModule.forRootAsync({ useFactory: createDurableJobsOptions }), FlightsModule],
  controllers: [JobsController],
})
export class AppModule implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Sample');

  beforeApplicationShutdown(signal?: string): void {
    if (signal) this.logger.log(`Received ${signal}; waiting for running jobs before exit`);
  }
}
