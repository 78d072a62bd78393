import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DurableJobsModuleOptions } from './interfaces/durable-jobs-options.interface.js';

/** Extra options of forRoot and forRootAsync that shape the module rather than the jobs. */
export interface DurableJobsModuleExtras {
  /** Registers JobQueue globally so feature modules need not import the module. Default true. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: DurableJobsConfigurableModule,
  MODULE_OPTIONS_TOKEN,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DurableJobsModuleOptions>({ moduleName: 'DurableJobs' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDurableJobsOptions')
  .setExtras<DurableJobsModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
