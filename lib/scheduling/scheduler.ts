import { Logger } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { RateLimitedLogger } from '../common/rate-limited-logger.js';
import { DurableJobsError } from '../errors/durable-jobs.error.js';
import { messageOf } from '../errors/retry-control.error.js';
import type { JobEventBus } from '../events/job-event-bus.js';
import { JobEnqueued } from '../events/job-events.js';
import { ScheduleFired, ScheduleTicksMissed } from '../events/schedule-events.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { JobStorage } from '../storage/job-storage.interface.js';
import type { StoredSchedule } from '../storage/schedule-storage.interface.js';
import type { Wakeup } from '../worker/wakeup.js';
import { planCatchUp } from './catch-up.js';
import { MAX_TIMER_DELAY_MS } from './schedule-clock.js';
import type { ScheduleManager } from './schedule-manager.js';
import type { ResolvedSchedulerOptions } from './scheduler-options.js';
import type { ScheduleTiming } from './schedule-spec.js';
import { compileTiming, type CompiledTiming } from './schedule-timing.js';

/** Schedules read per round; when all of them are due, the next round starts at once. */
export const SCHEDULER_BATCH_SIZE = 100;

/** Compiled timings kept per scheduler; the cache is emptied when it grows past this. */
const MAX_COMPILED_TIMINGS = 1_000;

export interface SchedulerDependencies {
  storage: JobStorage;
  manager: ScheduleManager;
  events: JobEventBus;
  wakeup: Wakeup;
}

/**
 * Fires the ticks of every stored schedule. It sleeps until the earliest next run, but never
 * longer than the poll interval, so that schedules changed by other processes are seen. Each
 * tick is claimed by a compare-and-set on the schedule's row in the transaction that inserts
 * its job, so any number of schedulers, in any number of processes, enqueue one job per tick.
 */
export class Scheduler {
  private readonly logger = new Logger('DurableJobsScheduler');
  private readonly errors = new RateLimitedLogger(this.logger);
  private readonly stopController = new AbortController();
  private readonly compiled = new Map<string, CompiledTiming>();
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private interruptSleep: (() => void) | undefined;
  private wakePending = false;

  constructor(
    private readonly dependencies: SchedulerDependencies,
    /** Labels the scheduler in logs, such as the id of the worker that runs it. */
    private readonly id: string,
    private readonly pollIntervalMs: number,
  ) {}

  start(): void {
    if (this.loop) return;
    this.unsubscribe = this.dependencies.manager.onChange(() => this.wake());
    this.loop = this.run();
    this.logger.log(`Scheduler of ${this.id} started`);
  }

  /** Stops after the tick in progress, if any, has been written. */
  async stop(): Promise<void> {
    if (this.stopController.signal.aborted) return this.loop;
    this.stopController.abort();
    await this.loop;
    this.unsubscribe?.();
    if (this.loop) this.logger.log(`Scheduler of ${this.id} stopped`);
  }

  /** Ends the current sleep, or the next one, so that the schedules are read again. */
  wake(): void {
    if (this.interruptSleep) this.interruptSleep();
    else this.wakePending = true;
  }

  private async run(): Promise<void> {
    const stop = this.stopController.signal;
    const { storage } = this.dependencies;
    // A storage that is still connecting in the background makes the scheduler wait here.
    if (storage.whenReady && !(await storage.whenReady(stop))) return;
    while (!stop.aborted) {
      let delayMs: number;
      try {
        delayMs = await this.round();
        this.errors.clear('round');
      } catch (error) {
        this.errors.error('round', `Scheduler of ${this.id} failed to read the schedules: ${messageOf(error)}`);
        delayMs = this.pollIntervalMs;
      }
      await this.sleep(delayMs);
    }
  }

  /** Fires every due schedule once and returns how long to sleep before the next round. */
  private async round(): Promise<number> {
    const { manager, storage } = this.dependencies;
    const now = manager.clock.now();
    const upcoming = await storage.schedules.upcoming(SCHEDULER_BATCH_SIZE);
    let earliest: number | null = null;
    let reachedFuture = false;
    let failed = false;
    for (const schedule of upcoming) {
      const due = schedule.nextRunAt?.getTime() ?? Number.POSITIVE_INFINITY;
      if (due > now) {
        earliest = earlierOf(earliest, due);
        reachedFuture = true;
        break;
      }
      try {
        // Whether this process or another fired the tick, the next one is due at the planned time.
        earliest = earlierOf(earliest, await this.fire(schedule, due, now));
        this.errors.clear(`fire:${schedule.name}`);
      } catch (error) {
        failed = true;
        this.errors.error(`fire:${schedule.name}`, `Scheduler of ${this.id} failed to fire schedule "${schedule.name}": ${messageOf(error)}`);
      }
    }
    // A full batch of due schedules may hide more due ones behind it. A failed schedule stays
    // at the front of the next batch, so a round that had a failure sleeps instead of spinning.
    if (!reachedFuture && !failed && upcoming.length === SCHEDULER_BATCH_SIZE) return 0;
    return sleepDelayMs(now, earliest, this.pollIntervalMs);
  }

  /** Fires one due tick unless another process was first; returns the planned next run time. */
  private async fire(schedule: StoredSchedule, dueMs: number, nowMs: number): Promise<number | null> {
    const { storage, events, wakeup } = this.dependencies;
    const plan = planCatchUp(this.compile(schedule.timing), dueMs, nowMs);
    // A next run that does not move forward would fire the same tick again on every round.
    if (plan.nextRunAtMs !== null && plan.nextRunAtMs <= dueMs) {
      throw new DurableJobsError(`its next run ${new Date(plan.nextRunAtMs).toISOString()} is not after the tick it fires`);
    }
    const scheduledAt = new Date(dueMs);
    const nextRunAt = plan.nextRunAtMs === null ? null : new Date(plan.nextRunAtMs);
    const jobId = uuidv7();
    const { job } = schedule;
    const fired = await storage.schedules.fire({
      name: schedule.name,
      revision: schedule.revision,
      expectedNextRunAt: scheduledAt,
      nextRunAt,
      scheduledAt,
      jobId,
      job,
    });
    if (!fired) return plan.nextRunAtMs;

    events.emit(new JobEnqueued(jobId, job.type, job.queue, job.priority, null));
    events.emit(new ScheduleFired(schedule.name, jobId, scheduledAt, job.type, job.queue, nextRunAt));
    if (plan.missed > 0) {
      const count = plan.capped ? `at least ${plan.missed}` : String(plan.missed);
      this.logger.warn(
        `Schedule "${schedule.name}" was overdue since ${scheduledAt.toISOString()}: ran it once as job ${jobId} ` +
          `and skipped ${count} later tick(s); next run ${nextRunAt?.toISOString() ?? 'never'}`,
      );
      events.emit(new ScheduleTicksMissed(schedule.name, jobId, scheduledAt, plan.missed, plan.capped, nextRunAt));
    }
    wakeup.notify(job.queue);
    return plan.nextRunAtMs;
  }

  private compile(timing: ScheduleTiming): CompiledTiming {
    const key = JSON.stringify(timing);
    let compiled = this.compiled.get(key);
    if (!compiled) {
      if (this.compiled.size >= MAX_COMPILED_TIMINGS) this.compiled.clear();
      compiled = compileTiming(timing);
      this.compiled.set(key, compiled);
    }
    return compiled;
  }

  private async sleep(ms: number): Promise<void> {
    const stop = this.stopController.signal;
    if (stop.aborted) return;
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    this.interruptSleep = interrupt;
    stop.addEventListener('abort', interrupt, { once: true });
    if (this.wakePending) {
      this.wakePending = false;
      interrupt();
    }
    try {
      await this.dependencies.manager.clock.sleep(ms, controller.signal);
    } finally {
      stop.removeEventListener('abort', interrupt);
      this.interruptSleep = undefined;
    }
  }
}

function earlierOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/**
 * Returns how long to sleep: until `earliestMs`, the next run of any schedule, but never longer
 * than the poll interval nor than setTimeout can wait, and never negative.
 */
export function sleepDelayMs(nowMs: number, earliestMs: number | null, pollIntervalMs: number): number {
  const limit = Math.min(pollIntervalMs, MAX_TIMER_DELAY_MS);
  if (earliestMs === null) return limit;
  return Math.max(0, Math.min(earliestMs - nowMs, limit));
}

/** Starts the scheduler of a worker whose options enable one; returns undefined otherwise. */
export function startScheduler(
  queue: Pick<JobQueue, 'storage' | 'schedules' | 'eventBus' | 'wakeup'>,
  workerId: string,
  options: ResolvedSchedulerOptions | null,
): Scheduler | undefined {
  if (options === null) return undefined;
  const dependencies = { storage: queue.storage, manager: queue.schedules, events: queue.eventBus, wakeup: queue.wakeup };
  const scheduler = new Scheduler(dependencies, workerId, options.pollIntervalMs);
  scheduler.start();
  return scheduler;
}
