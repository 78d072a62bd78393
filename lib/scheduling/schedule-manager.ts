import { Logger } from '@nestjs/common';
import { decodeJson } from '../common/json-payload.js';
import { assertValidName } from '../common/names.js';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { InvalidScheduleError } from '../errors/invalid-schedule.error.js';
import { messageOf } from '../errors/retry-control.error.js';
import type { HandlerRegistry } from '../queue/handler-registry.js';
import { buildNewJob } from '../queue/new-job.factory.js';
import type { JobStorage } from '../storage/job-storage.interface.js';
import type { ScheduleDefinition, StoredSchedule } from '../storage/schedule-storage.interface.js';
import type { ScheduleClock } from './schedule-clock.js';
import type { ScheduleInfo, ScheduleOptions, ScheduleRegistration } from './schedule-options.interface.js';
import type { ScheduleSpec, ScheduleTiming } from './schedule-spec.js';
import { compileTiming, resolveTiming, type CompiledTiming } from './schedule-timing.js';

interface DefinedSchedule {
  definition: ScheduleDefinition;
  compiled: CompiledTiming;
}

interface DeclaredSchedule {
  name: string;
  spec: ScheduleSpec | string;
  options: ScheduleOptions;
  source: string;
}

/**
 * Registers, lists, pauses, resumes and removes schedules for JobQueue, and registers the
 * schedules declared with @Scheduled at bootstrap. Registration checks everything before it
 * writes, and wakes this process's schedulers so that a new schedule is picked up at once.
 */
export class ScheduleManager {
  private readonly logger = new Logger('DurableJobsScheduler');
  private readonly declared = new Map<string, DeclaredSchedule>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly storage: JobStorage,
    private readonly registry: HandlerRegistry,
    readonly clock: ScheduleClock,
  ) {}

  /**
   * Stores the schedule under `name`, or updates the stored one when its definition changed.
   * A change of timing moves the next run to the new timing's first tick after now. A change
   * of the job alone keeps the next run, and a paused schedule stays paused.
   */
  async register(name: string, spec: ScheduleSpec | string, options: ScheduleOptions = {}): Promise<ScheduleRegistration> {
    const { definition, compiled } = await this.define(name, spec, options);
    return this.store(definition, compiled);
  }

  /**
   * Records a schedule from @Scheduled. Its timing is checked now, so that a bad expression
   * fails the module's initialisation; it is stored by registerDeclared().
   */
  declare(name: string, spec: ScheduleSpec | string, options: ScheduleOptions, source: string): void {
    assertValidName('schedule name', name);
    resolveTiming(name, spec, this.clock.now());
    const existing = this.declared.get(name);
    if (existing) {
      throw new HandlerRegistrationError(
        `Schedule "${name}" is declared twice: by ${existing.source} and by ${source}. Give one of them another name.`,
      );
    }
    this.declared.set(name, { name, spec, options, source });
  }

  /**
   * Validates every declared schedule, then stores them. When the database is still connecting,
   * storing continues in the background once it is ready, so that the boot does not wait.
   */
  async registerDeclared(): Promise<void> {
    if (this.declared.size === 0) return;
    const defined: DefinedSchedule[] = [];
    for (const declared of this.declared.values()) {
      defined.push(await this.define(declared.name, declared.spec, declared.options));
    }
    const storeAll = async () => {
      for (const { definition, compiled } of defined) await this.store(definition, compiled);
    };
    // With an aborted signal, whenReady() returns at once whether the storage is ready.
    if (!this.storage.whenReady || (await this.storage.whenReady(AbortSignal.abort()))) return storeAll();

    this.logger.warn(`The job database is not reachable yet; ${defined.length} schedule(s) are registered once it connects`);
    // whenReady() resolves false when the storage closes first, which ends this wait at shutdown.
    void this.storage.whenReady().then(async (ready) => {
      if (!ready) return;
      await storeAll().catch((error: unknown) => {
        // NOTE: not retried; the stored definitions of the last successful boot stay in force.
        this.logger.error(`Registering the declared schedules failed: ${messageOf(error)}`);
      });
    });
  }

  async get(name: string): Promise<ScheduleInfo | null> {
    const stored = await this.storage.schedules.get(name);
    return stored === null ? null : toInfo(stored);
  }

  async list(): Promise<ScheduleInfo[]> {
    return (await this.storage.schedules.list()).map(toInfo);
  }

  /** Stops firing the schedule until resume(); false when no schedule has this name. */
  pause(name: string): Promise<boolean> {
    return this.storage.schedules.pause(name);
  }

  /**
   * Resumes a paused schedule at its first tick after now, so ticks that fell in the pause are
   * neither run nor reported as missed. False when no schedule has this name.
   */
  async resume(name: string): Promise<boolean> {
    const stored = await this.storage.schedules.get(name);
    if (stored === null) return false;
    if (!stored.paused) return true;
    const next = compileTiming(stored.timing).next(this.clock.now());
    if (await this.storage.schedules.resume(name, next === null ? null : new Date(next))) this.notify();
    return true;
  }

  /** Deletes the schedule; its jobs stay. False when no schedule has this name. */
  remove(name: string): Promise<boolean> {
    return this.storage.schedules.remove(name);
  }

  /** Calls `listener` whenever this process changes a schedule; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async define(
    name: string,
    spec: ScheduleSpec | string,
    options: ScheduleOptions,
  ): Promise<DefinedSchedule> {
    assertValidName('schedule name', name);
    if (options === null || typeof options !== 'object') {
      throw new InvalidScheduleError(name, 'options', options, 'must be an object');
    }
    const compiled = resolveTiming(name, spec, this.clock.now());
    const type = options.type ?? name;
    const job = await buildNewJob(this.registry, type, options.args ?? {}, {
      queue: options.queue,
      retries: options.retries,
      priority: options.priority,
      backoff: options.backoff,
    }).catch((error: unknown) => {
      if (error instanceof Error) error.message = `Schedule "${name}": ${error.message}`;
      throw error;
    });
    const template = {
      type,
      queue: job.queue,
      argsJson: job.argsJson,
      priority: job.priority,
      maxRetries: job.maxRetries,
      backoff: job.backoff,
    };
    return { definition: { name, timing: compiled.timing, job: template }, compiled };
  }

  private async store(definition: ScheduleDefinition, compiled: CompiledTiming): Promise<ScheduleRegistration> {
    const first = compiled.next(this.clock.now());
    const { outcome, schedule } = await this.storage.schedules.upsert(definition, first === null ? null : new Date(first));
    const next = schedule.nextRunAt?.toISOString() ?? 'never';
    const message = `Schedule "${definition.name}" (${describeTiming(definition.timing)}) ${outcome}; next run ${next}`;
    if (outcome === 'unchanged') {
      this.logger.debug(message);
    } else {
      this.logger.log(message);
      this.notify();
    }
    return { outcome, schedule: toInfo(schedule) };
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export function describeTiming(timing: ScheduleTiming): string {
  return timing.kind === 'every' ? `every ${timing.intervalMs}ms` : `cron "${timing.expression}" in ${timing.timezone}`;
}

function toInfo(stored: StoredSchedule): ScheduleInfo {
  return {
    name: stored.name,
    timing: stored.timing,
    type: stored.job.type,
    queue: stored.job.queue,
    args: decodeJson(stored.job.argsJson),
    priority: stored.job.priority,
    retries: stored.job.maxRetries,
    backoff: stored.job.backoff,
    paused: stored.paused,
    nextRunAt: stored.nextRunAt,
    lastRunAt: stored.lastRunAt,
    lastJobId: stored.lastJobId,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}
