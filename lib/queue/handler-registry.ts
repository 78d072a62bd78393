import type { ValidationError } from 'class-validator';
import { DurableJobsError } from '../errors/durable-jobs.error.js';
import { DEFAULT_BACKOFF, resolveBackoff } from '../common/backoff.js';
import { MAX_RETRIES, assertInteger, assertValidName } from '../common/names.js';
import { ArgsValidationError, type ArgsViolation } from '../errors/args-validation.error.js';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import type { BackoffPolicy } from '../interfaces/job.interface.js';
import type {
  ArgsClass,
  JobHandlerFunction,
  JobHandlerOptions,
} from '../interfaces/handler-options.interface.js';

/** A handler with its options checked and defaults applied. */
export interface RegisteredHandler {
  name: string;
  fn: JobHandlerFunction;
  queue: string | undefined;
  retries: number | undefined;
  priority: number | undefined;
  argsClass: ArgsClass | undefined;
  backoff: BackoffPolicy;
  /** The handler's origin, such as `EmailJobs.send`, for error messages. */
  source: string;
}

/** Handlers by job type. Registration errors carry the fix in their message. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, RegisteredHandler>();

  constructor(readonly defaultBackoff: BackoffPolicy = DEFAULT_BACKOFF) {}

  register(name: string, fn: JobHandlerFunction, options: JobHandlerOptions, source: string): RegisteredHandler {
    const handler = this.check(name, fn, options, source);
    const existing = this.handlers.get(name);
    if (existing) {
      throw new HandlerRegistrationError(
        `Job handler "${name}" is registered twice: by ${existing.source} and by ${source}. ` +
          'Each job type needs exactly one handler; rename one of them.',
      );
    }
    this.handlers.set(name, handler);
    return handler;
  }

  get(name: string): RegisteredHandler | undefined {
    return this.handlers.get(name);
  }

  all(): RegisteredHandler[] {
    return [...this.handlers.values()];
  }

  private check(name: string, fn: unknown, options: JobHandlerOptions, source: string): RegisteredHandler {
    const fail = (problem: string): never => {
      throw new HandlerRegistrationError(`Invalid job handler ${source}: ${problem}`);
    };
    try {
      assertValidName('job type', name);
    } catch (error) {
      fail((error as Error).message);
    }
    if (typeof fn !== 'function') fail(`the handler for "${name}" is a ${typeof fn}, not a function`);
    const handler = fn as JobHandlerFunction;
    if (handler.length > 2) {
      fail(`it declares ${handler.length} parameters; handlers take (args, ctx: JobContext)`);
    }
    if (options === null || typeof options !== 'object') fail('options must be an object');
    if (options.args !== undefined && typeof options.args !== 'function') {
      fail('options.args must be a class-validator DTO class');
    }
    try {
      if (options.queue !== undefined) assertValidName('handler queue', options.queue);
      if (options.retries !== undefined) assertInteger('handler retries', options.retries, 0, MAX_RETRIES);
      if (options.priority !== undefined) assertInteger('handler priority', options.priority);
      return {
        name,
        fn: handler,
        queue: options.queue,
        retries: options.retries,
        priority: options.priority,
        argsClass: options.args,
        backoff: options.backoff ? resolveBackoff(options.backoff, 'handler backoff', this.defaultBackoff) : this.defaultBackoff,
        source,
      };
    } catch (error) {
      return fail((error as Error).message);
    }
  }
}

/**
 * Converts plain args into the handler's DTO class and validates them; without a DTO class
 * the args pass through unchanged.
 */
export async function validateArgs(handler: RegisteredHandler, args: unknown): Promise<unknown> {
  if (!handler.argsClass) return args;
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new ArgsValidationError(handler.name, [
      { property: '(args)', value: args, constraints: { isObject: `args must be an object matching ${handler.argsClass.name}` } },
    ]);
  }
  const { plainToInstance, validate } = await loadValidation(handler);
  const instance = plainToInstance(handler.argsClass as new () => object, args);
  const errors = await validate(instance, { forbidUnknownValues: true });
  if (errors.length > 0) throw new ArgsValidationError(handler.name, flattenViolations(errors));
  return instance;
}

let validation: Promise<{ plainToInstance: typeof import('class-transformer').plainToInstance; validate: typeof import('class-validator').validate }> | undefined;

/**
 * Loads class-transformer and class-validator on first use. Together they add about 20 MB
 * to a process, and an application that declares no DTO class never needs them, so they are
 * optional peer dependencies.
 */
async function loadValidation(handler: RegisteredHandler) {
  validation ??= Promise.all([import('class-transformer'), import('class-validator')]).then(([transformer, validator]) => ({
    plainToInstance: transformer.plainToInstance,
    validate: validator.validate,
  }));
  try {
    return await validation;
  } catch (error) {
    validation = undefined;
    throw new DurableJobsError(
      `Job type "${handler.name}" validates its args with ${handler.argsClass?.name ?? 'a DTO class'}, which needs ` +
        `class-validator and class-transformer; install them with "npm install class-validator class-transformer"`,
      { cause: error },
    );
  }
}

function flattenViolations(errors: ValidationError[], prefix = ''): ArgsViolation[] {
  return errors.flatMap((error) => {
    const property = prefix ? `${prefix}.${error.property}` : error.property;
    const own: ArgsViolation[] = error.constraints
      ? [{ property, value: error.value, constraints: error.constraints }]
      : [];
    return [...own, ...flattenViolations(error.children ?? [], property)];
  });
}
