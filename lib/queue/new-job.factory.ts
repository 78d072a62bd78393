import { v7 as uuidv7 } from 'uuid';
import { resolveBackoff } from '../common/backoff.js';
import { parseDuration } from '../common/duration.js';
import { encodeJson } from '../common/json-payload.js';
import { MAX_RETRIES, assertInteger, assertValidName } from '../common/names.js';
import { DEFAULT_QUEUE, DEFAULT_RETRIES } from '../durable-jobs.constants.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { EnqueueOptions } from '../interfaces/enqueue-options.interface.js';
import type { NewJob } from '../storage/job-storage.interface.js';
import { validateArgs, type HandlerRegistry } from './handler-registry.js';

/**
 * Validates one enqueue request and turns it into a row to insert. Every check happens here,
 * before anything is written, and each error names the field and the fix.
 */
export async function buildNewJob(
  registry: HandlerRegistry,
  type: string,
  args: unknown,
  options: EnqueueOptions,
): Promise<NewJob> {
  assertValidName('job type', type);
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('enqueue options', options, 'must be an object');
  }
  const handler = registry.get(type);

  const queue = assertValidName('queue', options.queue ?? handler?.queue ?? DEFAULT_QUEUE);
  const retries = assertInteger('retries', options.retries ?? handler?.retries ?? DEFAULT_RETRIES, 0, MAX_RETRIES);
  const priority = assertInteger('priority', options.priority ?? handler?.priority ?? 0);
  const uniqueKey = options.unique === undefined ? null : assertValidName('unique key', options.unique);
  const { runAt, delayMs } = resolveRunTime(options);
  const backoff = options.backoff ? resolveBackoff(options.backoff, 'backoff', handler?.backoff) : null;

  const validated = handler ? await validateArgs(handler, args) : args;
  const argsJson = encodeJson('args', validated);

  return { id: uuidv7(), type, queue, argsJson, priority, maxRetries: retries, uniqueKey, backoff, runAt, delayMs };
}

function resolveRunTime(options: EnqueueOptions): { runAt: Date | null; delayMs: number } {
  if (options.at !== undefined && options.delay !== undefined) {
    throw new InvalidOptionError('at', options.at, 'cannot be combined with delay; pass one of them');
  }
  if (options.at !== undefined) {
    const at = options.at;
    const date = toDate(at);
    if (!date || Number.isNaN(date.getTime())) {
      throw new InvalidOptionError(
        'at',
        at,
        'is not a valid date; pass a Date, an ISO 8601 string or milliseconds since the epoch',
      );
    }
    return { runAt: date, delayMs: 0 };
  }
  return { runAt: null, delayMs: options.delay === undefined ? 0 : parseDuration(options.delay, 'delay') };
}

/** Converts a Date, ISO string or epoch milliseconds into a new Date; anything else gives null. */
function toDate(value: unknown): Date | null {
  if (value instanceof Date) return new Date(value.getTime());
  if (typeof value === 'string' || typeof value === 'number') return new Date(value);
  return null;
}
