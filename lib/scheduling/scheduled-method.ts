import { Logger } from '@nestjs/common';
import type { ScheduledMetadata } from '../decorators/scheduled.decorator.js';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import type { JobHandlerFunction } from '../interfaces/handler-options.interface.js';
import type { JobQueue } from '../queue/job-queue.js';

const logger = new Logger('DurableJobsScheduler');

/**
 * Registers a method marked with @Scheduled: as the handler of the schedule's job type, unless
 * the method also carries @JobHandler (`handlerName`), whose type the schedule then enqueues,
 * and as a declared schedule, stored at bootstrap. Throws at once for invalid options or
 * timing, naming the method, so that the boot fails.
 */
export function registerScheduledMethod(
  queue: JobQueue,
  metadata: ScheduledMetadata,
  fn: JobHandlerFunction,
  source: string,
  handlerName: string | undefined,
): void {
  const options = metadata.options;
  if (options === null || typeof options !== 'object') {
    throw new HandlerRegistrationError(`@Scheduled on ${source}: options must be an object, such as { name: 'nightly-report' }`);
  }
  const { name = source, ...jobOptions } = options;
  try {
    if (handlerName === undefined) {
      const { queue: jobQueue, retries, priority, backoff } = jobOptions;
      queue.register(name, fn, { queue: jobQueue, retries, priority, backoff }, source);
    }
    queue.schedules.declare(name, metadata.schedule, { ...jobOptions, type: handlerName ?? name }, source);
  } catch (error) {
    if (error instanceof Error && !error.message.includes(source)) error.message = `${error.message} (@Scheduled on ${source})`;
    throw error;
  }
  logger.log(`Declared schedule "${name}" (${source})`);
}
