import { Logger } from '@nestjs/common';
import { Observable, Subject, config as rxjsConfig } from 'rxjs';
import type { Job } from '../interfaces/job.interface.js';
import { messageOf } from '../errors/retry-control.error.js';
import { JobCompleted, JobFailed, JobRetrying, JobStarted, type JobEvent } from './job-events.js';

export type JobHook = (job: Job) => unknown;
export type JobFailHook = (job: Job, error: unknown) => unknown;
export type JobRetryHook = (job: Job, attempt: number, error: unknown) => unknown;
/** Removes a hook registered with onJobStart, onJobComplete, onJobFail or onRetry. */
export type Disposer = () => void;

/**
 * Delivers job events to the `events$` subscribers and to the hooks. Delivery is synchronous
 * and never throws back into the worker: hooks are called inside try/catch, their promises
 * are caught, and errors thrown by subscribers are logged rather than crashing the process.
 */
export class JobEventBus {
  private readonly logger = new Logger('DurableJobsEvents');
  private readonly subject = new Subject<JobEvent>();
  private readonly startHooks = new Set<JobHook>();
  private readonly completeHooks = new Set<JobHook>();
  private readonly failHooks = new Set<JobFailHook>();
  private readonly retryHooks = new Set<JobRetryHook>();

  readonly events$: Observable<JobEvent> = this.subject.asObservable();

  constructor() {
    installSubscriberErrorLogger(this.logger);
  }

  emit(event: JobEvent): void {
    this.subject.next(event);
    this.runHooks(event);
  }

  onJobStart(hook: JobHook): Disposer {
    return addTo(this.startHooks, hook);
  }

  onJobComplete(hook: JobHook): Disposer {
    return addTo(this.completeHooks, hook);
  }

  onJobFail(hook: JobFailHook): Disposer {
    return addTo(this.failHooks, hook);
  }

  onRetry(hook: JobRetryHook): Disposer {
    return addTo(this.retryHooks, hook);
  }

  complete(): void {
    this.subject.complete();
  }

  private runHooks(event: JobEvent): void {
    if (event instanceof JobStarted) {
      for (const hook of this.startHooks) this.guard('onJobStart', event.job, () => hook(event.job));
    } else if (event instanceof JobCompleted) {
      for (const hook of this.completeHooks) this.guard('onJobComplete', event.job, () => hook(event.job));
    } else if (event instanceof JobFailed) {
      for (const hook of this.failHooks) this.guard('onJobFail', event.job, () => hook(event.job, event.cause));
    } else if (event instanceof JobRetrying) {
      for (const hook of this.retryHooks) {
        this.guard('onRetry', event.job, () => hook(event.job, event.attempt, event.cause));
      }
    }
  }

  /** Calls a hook so that neither a throw nor a rejected promise reaches the worker. */
  guard(name: string, job: Job | undefined, call: () => unknown): void {
    const report = (error: unknown) =>
      this.logger.error(`${name} listener failed${job ? ` for job ${job.id} (${job.type})` : ''}: ${messageOf(error)}`);
    try {
      const outcome = call();
      if (outcome instanceof Promise) outcome.catch(report);
    } catch (error) {
      report(error);
    }
  }
}

function addTo<T>(set: Set<T>, hook: T): Disposer {
  set.add(hook);
  return () => {
    set.delete(hook);
  };
}

/**
 * RxJS reports an error thrown by a subscriber's next callback by rethrowing it on a timer,
 * which ends a Node.js process. The library installs a logging handler instead, but only
 * when the application has not installed its own `config.onUnhandledError`.
 */
function installSubscriberErrorLogger(logger: Logger): void {
  if (rxjsConfig.onUnhandledError) return;
  rxjsConfig.onUnhandledError = (error: unknown) => {
    logger.error(`An RxJS subscriber threw and no onUnhandledError handler was set: ${messageOf(error)}`, error instanceof Error ? error.stack : undefined);
  };
}
