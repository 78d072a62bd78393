import { v7 as uuidv7 } from 'uuid';
import { decodeJson, encodeJson } from '../common/json-payload.js';
import { DeterminismError } from '../errors/determinism.error.js';
import { FanOutFailedError, FanOutTimeoutError } from '../errors/fan-out.error.js';
import { NoRetryError, messageOf } from '../errors/retry-control.error.js';
import { UnknownJobTypeError } from '../errors/unknown-job-type.error.js';
import type { JobEventBus } from '../events/job-event-bus.js';
import { CheckpointSaved, JobSuspended } from '../events/job-events.js';
import { JobStatus, type Job } from '../interfaces/job.interface.js';
import { validateArgs, type HandlerRegistry } from '../queue/handler-registry.js';
import type { JobContext } from '../queue/job-context.js';
import { buildNewJob } from '../queue/new-job.factory.js';
import type { CheckpointKind, CheckpointRecord, ClaimToken, FanOutChild, JobStorage } from '../storage/job-storage.interface.js';
import type { Wakeup } from '../worker/wakeup.js';
import type { FanOutResult } from './fan-out-result.js';
import { resolveFanOutSettings, type FanOutOption, type SubJob } from './fan-out.options.js';
import { JobSuspendedSignal, LockLostSignal } from './run-interruptions.js';

/** The services of the worker that a durable run uses. */
export interface DurableRunDependencies {
  storage: JobStorage;
  registry: HandlerRegistry;
  events: JobEventBus;
  wakeup: Wakeup;
  workerId: string;
}

/**
 * The durable state of one run of a job: its checkpoints, loaded once, and the counters that
 * give each call, step and fan-out its key. Calls and steps are keyed by name and occurrence
 * (`call:charge#2` is the second call of `charge`) and also carry their position among all
 * calls and steps, so a run that reorders them fails with DeterminismError instead of
 * replaying a stored result into the wrong call.
 */
export class DurableRun {
  private checkpoints: Map<string, CheckpointRecord> | undefined;
  private readonly bySequence = new Map<number, CheckpointRecord>();
  private readonly occurrences = new Map<string, number>();
  private sequence = 0;
  private fanOuts = 0;

  constructor(
    private readonly job: Job,
    private readonly dependencies: DurableRunDependencies,
  ) {}

  private get token(): ClaimToken {
    return { id: this.job.id, workerId: this.dependencies.workerId, attempt: this.job.attempt };
  }

  /** Runs the handler registered as `name` inline, once per job: later runs replay its checkpoint. */
  async call<T>(ctx: JobContext, name: string, args: unknown): Promise<T> {
    return this.durably<T>('call', name, async () => {
      const handler = this.dependencies.registry.get(name);
      if (!handler) throw new UnknownJobTypeError(name, this.dependencies.workerId);
      let validated: unknown;
      try {
        validated = await validateArgs(handler, args);
      } catch (error) {
        throw new NoRetryError(error);
      }
      return handler.fn(validated, ctx);
    });
  }

  /** Runs `fn` once per job: later runs replay its checkpoint. */
  step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    return this.durably<T>('step', name, fn);
  }

  async savePhaseCheckpoint(name: string, value: unknown): Promise<void> {
    const checkpoints = await this.load();
    const record: CheckpointRecord = {
      key: `phase:${name}`,
      kind: 'phase',
      name,
      sequence: null,
      outcome: 'value',
      valueJson: encodeJson(`phase checkpoint "${name}"`, value === undefined ? null : value),
    };
    await this.save(record);
    checkpoints.set(record.key, record);
  }

  async loadPhaseCheckpoint<T>(name: string): Promise<{ found: boolean; value: T | undefined }> {
    const record = (await this.load()).get(`phase:${name}`);
    if (!record) return { found: false, value: undefined };
    return { found: true, value: decodeJson<T>(record.valueJson) as T };
  }

  /**
   * Starts the sub-jobs and suspends the job, or, when a earlier run already did so and the
   * fan-out has been decided, returns the sub-jobs' results in the order of `subs`.
   */
  async fanOut<T>(subs: SubJob[], options: FanOutOption[]): Promise<FanOutResult<T>[]> {
    const settings = resolveFanOutSettings(options);
    this.fanOuts += 1;
    const key = `fanout#${this.fanOuts}`;
    if (!Array.isArray(subs)) throw new NoRetryError(new TypeError('fanOut() takes an array of sub() jobs'));
    if (subs.length === 0) return [];

    const { storage, registry } = this.dependencies;
    const existing = await storage.findFanOut(this.job.id, key);
    if (existing) {
      const results = toResults<T>(await storage.fanOutChildren(existing.id), existing.total);
      if (existing.status === 'timed_out') throw new FanOutTimeoutError(key, results);
      if (existing.status === 'failed') throw new FanOutFailedError(key, results, describeFailure(results));
      if (existing.status === 'pending') {
        throw new Error(`Fan-out ${key} of job ${this.job.id} is still running; the job was started before it was decided`);
      }
      return results;
    }

    const fanOutId = uuidv7();
    const children = [];
    for (const [index, entry] of subs.entries()) {
      const options = {
        ...entry.options,
        queue: entry.options.queue ?? settings.queue ?? undefined,
        retries: entry.options.retries ?? settings.retries ?? undefined,
      };
      const child = await buildNewJob(registry, entry.type, entry.args, options);
      children.push({ ...child, parentJobId: this.job.id, fanOutId, fanOutIndex: index });
    }
    const suspended = await storage.suspendForFanOut(
      this.token,
      {
        id: fanOutId,
        parentJobId: this.job.id,
        key,
        strategy: settings.strategy,
        threshold: settings.threshold,
        total: children.length,
        cancelOnParentFailure: settings.cancelOnParentFailure,
        timeoutMs: settings.timeoutMs,
      },
      children,
    );
    if (!suspended) throw new LockLostSignal(this.job.id);
    this.dependencies.events.emit(new JobSuspended(this.job, fanOutId, children.length));
    for (const queue of new Set(children.map((child) => child.queue))) this.dependencies.wakeup.notify(queue);
    throw new JobSuspendedSignal(fanOutId);
  }

  private async durably<T>(kind: Exclude<CheckpointKind, 'phase'>, name: string, run: () => unknown): Promise<T> {
    const checkpoints = await this.load();
    const occurrence = (this.occurrences.get(`${kind}:${name}`) ?? 0) + 1;
    this.occurrences.set(`${kind}:${name}`, occurrence);
    const key = `${kind}:${name}#${occurrence}`;
    const position = this.sequence;
    this.sequence += 1;

    const recorded = checkpoints.get(key);
    const atPosition = this.bySequence.get(position);
    if ((recorded && recorded.sequence !== position) || (!recorded && atPosition)) {
      const expected = atPosition ? describeCheckpoint(atPosition) : 'nothing';
      throw new DeterminismError(this.job.id, position, expected, `${kind} "${name}" (occurrence ${occurrence})`);
    }
    if (recorded) {
      if (recorded.outcome === 'error') throw new NoRetryError(new Error(decodeJson<string>(recorded.valueJson) ?? 'error'));
      return decodeJson<T>(recorded.valueJson) as T;
    }

    let value: unknown;
    try {
      value = await run();
    } catch (error) {
      if (error instanceof NoRetryError && !(error instanceof DeterminismError)) {
        // A permanent error replays as the same error, so a retry does not run the step again.
        await this.save({ key, kind, name, sequence: position, outcome: 'error', valueJson: JSON.stringify(messageOf(error)) });
      }
      throw error;
    }
    const stored = value === undefined ? null : value;
    const record: CheckpointRecord = {
      key,
      kind,
      name,
      sequence: position,
      outcome: 'value',
      valueJson: encodeJson(`result of ${kind} "${name}"`, stored),
    };
    await this.save(record);
    checkpoints.set(key, record);
    this.bySequence.set(position, record);
    return stored as T;
  }

  private async load(): Promise<Map<string, CheckpointRecord>> {
    if (!this.checkpoints) {
      const records = await this.dependencies.storage.loadCheckpoints(this.job.id);
      this.checkpoints = new Map(records.map((record) => [record.key, record]));
      for (const record of records) if (record.sequence !== null) this.bySequence.set(record.sequence, record);
    }
    return this.checkpoints;
  }

  private async save(record: CheckpointRecord): Promise<void> {
    if (!(await this.dependencies.storage.saveCheckpoint(this.token, record))) throw new LockLostSignal(this.job.id);
    this.dependencies.events.emit(new CheckpointSaved(this.job.id, record.kind, record.name, record.key));
  }
}

function describeCheckpoint(record: CheckpointRecord): string {
  const occurrence = record.key.slice(record.key.lastIndexOf('#') + 1);
  return `${record.kind} "${record.name}" (occurrence ${occurrence})`;
}

function toResults<T>(children: FanOutChild[], total: number): FanOutResult<T>[] {
  const byIndex = new Map(children.map((child) => [child.index, child]));
  return Array.from({ length: total }, (_, index): FanOutResult<T> => {
    const child = byIndex.get(index);
    if (!child) {
      return { ok: false, index, jobId: '', status: JobStatus.Cancelled, error: 'sub-job was deleted', finished: true };
    }
    if (child.status === JobStatus.Completed) {
      return { ok: true, index, jobId: child.jobId, value: decodeJson<T>(child.resultJson) as T };
    }
    const finished = child.status === JobStatus.Failed || child.status === JobStatus.Cancelled;
    const error = finished
      ? (decodeJson<string>(child.errorJson) ?? `sub-job ended ${child.status}`)
      : `sub-job was still ${child.status} when the fan-out was decided`;
    return { ok: false, index, jobId: child.jobId, status: child.status, error, finished };
  });
}

function describeFailure(results: FanOutResult<unknown>[]): string {
  const failures = results.filter((result) => !result.ok && result.finished);
  const first = failures[0];
  if (!first || first.ok) return `${results.length - failures.length} of ${results.length} sub-jobs did not succeed`;
  return `${failures.length} of ${results.length} sub-jobs failed; the first, ${first.jobId} at index ${first.index}: ${first.error}`;
}
