import type { ScheduleSpec } from '../scheduling/schedule-spec.js';
import type { ScheduledOptions } from '../scheduling/schedule-options.interface.js';

/** Metadata key set by @Scheduled on a method. */
export const SCHEDULED_METADATA = 'durable-jobs:scheduled';

export interface ScheduledMetadata {
  schedule: ScheduleSpec | string;
  options: ScheduledOptions;
}

/**
 * Runs a provider method on a schedule stored in the database. At bootstrap the method becomes
 * the handler of the job type the schedule enqueues, named `options.name` or
 * `ClassName.method`, and the schedule is registered, or updated when its definition changed.
 * A string is a cron expression in UTC, so `CronExpression` constants of @nestjs/schedule work.
 * An invalid schedule or option fails the boot.
 */
export function Scheduled(schedule: ScheduleSpec | string, options: ScheduledOptions = {}): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(SCHEDULED_METADATA, { schedule, options } satisfies ScheduledMetadata, descriptor.value as object);
    return descriptor;
  };
}

/** Returns what @Scheduled left on a method, if anything. */
export function getScheduledMetadata(method: Function): ScheduledMetadata | undefined {
  return Reflect.getMetadata(SCHEDULED_METADATA, method) as ScheduledMetadata | undefined;
}
