import { JOB_EVENT_LISTENER_METADATA } from '../durable-jobs.constants.js';
import type { JobEventClass } from '../events/job-events.js';

/**
 * Marks a provider method as a listener for events of the given classes, such as
 * `@OnJobEvent(JobFailed)`. A listener that throws or rejects is logged; it never stops a worker.
 */
export function OnJobEvent(...kinds: JobEventClass[]): MethodDecorator {
  return (target, key, descriptor) => {
    Reflect.defineMetadata(JOB_EVENT_LISTENER_METADATA, kinds, descriptor.value as object);
    return descriptor;
  };
}
