import { JOB_HANDLER_METADATA } from '../durable-jobs.constants.js';
import type { JobHandlerOptions } from '../interfaces/handler-options.interface.js';

export interface JobHandlerMetadata {
  name: string;
  options: JobHandlerOptions;
}

/**
 * Marks a provider method as the handler of job type `name`. The method receives
 * `(args, ctx: JobContext)` and is discovered at bootstrap; a duplicate name or invalid
 * options fail the boot.
 */
export function JobHandler(name: string, options: JobHandlerOptions = {}): MethodDecorator {
  return (target, key, descriptor) => {
    Reflect.defineMetadata(JOB_HANDLER_METADATA, { name, options } satisfies JobHandlerMetadata, descriptor.value as object);
    return descriptor;
  };
}
