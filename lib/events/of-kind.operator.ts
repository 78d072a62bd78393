import { filter, type OperatorFunction } from 'rxjs';
import type { JobEvent, JobEventClass } from './job-events.js';

/**
 * Keeps the events that are instances of any of the given classes and narrows their type:
 * `queue.events$.pipe(ofKind(JobFailed, JobRetrying))`.
 */
export function ofKind<K extends JobEventClass[]>(
  ...kinds: K
): OperatorFunction<JobEvent, InstanceType<K[number]>> {
  return filter((event: JobEvent): event is InstanceType<K[number]> =>
    kinds.some((kind) => event instanceof kind),
  );
}
