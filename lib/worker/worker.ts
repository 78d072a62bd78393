import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { RateLimitedLogger } from '../common/rate-limited-logger.js';
import { retryDelayMs } from '../common/retry-config.js';
import { PauseMode } from '../control/pause-mode.js';
import { WorkerPauseError } from '../errors/job-control.error.js';
import { messageOf } from '../errors/retry-control.error.js';
import { WorkerPaused, WorkerResumed } from '../events/control-events.js';
import type { Job } from '../interfaces/job.interface.js';
import type { WorkerOptions } from '../interfaces/worker-options.interface.js';
import type { JobContextRuntime } from '../queue/job-context.js';
import type { JobQueue } from '../queue/job-queue.js';
import { startScheduler, type Scheduler } from '../scheduling/scheduler.js';
import type { ClaimAtInsert, JobOutcome } from '../storage/job-storage.interface.js';
import { JobRunner } from './job-runner.js';
import { LockKeeper } from './lock-keeper.js';
import { OutcomeBuffer } from './outcome-buffer.js';
import { RetryingStorageCalls } from './retrying-storage-calls.js';
import { RunAbort } from './run-abort.js';
import { QueueSlots } from './queue-slots.js';
import { abortRun, releasesJob, type RunningJob } from './running-job.js';
import { RunningJobs } from './running-jobs.js';
import { StaleLockReaper } from './stale-lock-reaper.js';
import { resolveWorkerOptions, type ResolvedWorkerOptions } from './worker-options.resolver.js';

/** Outcomes written per statement; a burst larger than this is split. */
const OUTCOME_BATCH_LIMIT = 500;

/**
 * Claims jobs from its queues and runs them, up to each queue's concurrency. Each queue has
 * its own claim loop; one heartbeat statement renews the leases of all running jobs.
 */
export class Worker implements JobContextRuntime {
  private readonly logger: Logger;
  private readonly errors: RateLimitedLogger;
  private readonly options: ResolvedWorkerOptions;
  /** Jobs locked by this worker: running, writing their outcome, or prefetched and waiting for a slot. */
  private readonly running = new RunningJobs();
  private readonly slots = new Map<string, QueueSlots>();
  private prefetchSweep: NodeJS.Timeout | undefined;
  private stopController = new AbortController();
  private lockKeeper: LockKeeper | undefined;
  private paused: PauseMode | null = null;
  /** Claims whose jobs are not launched or given back yet. */
  private readonly dispatching = new Set<Promise<void>>();
  private resumed = deferred();
  private readonly storageCalls: RetryingStorageCalls;
  private readonly outcomes: OutcomeBuffer;
  private readonly runner: JobRunner;
  private reaper: StaleLockReaper | undefined;
  private scheduler: Scheduler | undefined;
  private loops: Promise<void>[] = [];
  private lifecycle: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly queue: JobQueue,
    options: WorkerOptions,
  ) {
    this.options = resolveWorkerOptions(options);
    this.logger = new Logger(`DurableJobsWorker`);
    this.errors = new RateLimitedLogger(this.logger);
    this.storageCalls = new RetryingStorageCalls(queue.storage, this.options.storageRetry, this.options.id, this.errors);
    this.outcomes = new OutcomeBuffer(
      (batch) => this.storageCalls.recordOutcomes(batch),
      this.options.completionWindowMs,
      OUTCOME_BATCH_LIMIT,
    );
    this.runner = new JobRunner(queue, this, this.outcomes, this.storageCalls, this.logger, this.errors);
  }

  get id(): string {
    return this.options.id;
  }

  /** Queue names and their concurrency; empty until the queues are known. */
  get queues(): ReadonlyMap<string, number> {
    return this.options.queues ?? new Map();
  }

  /** Returns how many jobs run or write their outcome here. Prefetched jobs that wait are not counted. */
  runningJobCount(): number {
    let waiting = 0;
    for (const slots of this.slots.values()) waiting += slots.waitingCount;
    return this.running.size - waiting;
  }

  /**
   * Starts claiming and running jobs. The promise settles once the worker has stopped, after
   * `stop()` or when `signal` aborts. A worker whose options name no queues processes
   * `default` and the queue of every handler registered when it starts.
   */
  start(signal?: AbortSignal): Promise<void> {
    if (this.lifecycle !== 'idle') throw new Error(`Worker ${this.id} was already started; create a new worker instead`);
    this.options.queues ??= new Map(this.queue.defaultQueueNames().map((queue) => [queue, this.options.concurrency]));
    this.lifecycle = 'running';
    const queueList = [...this.options.queues.entries()].map(([name, size]) => `${name}(${size})`).join(', ');
    this.logger.log(`Worker ${this.id} started on queues ${queueList}`);

    this.queue.listenForEnqueues();
    for (const [queue, concurrency] of this.options.queues) {
      this.slots.set(queue, new QueueSlots(concurrency, this.options.prefetch, () => this.queue.wakeup.notify(queue)));
    }
    this.loops = [...this.options.queues.keys()].map((queue) => this.claimLoop(queue));
    const { prefetchTimeoutMs } = this.options;
    this.prefetchSweep = setInterval(() => {
      for (const slots of this.slots.values()) slots.expire(prefetchTimeoutMs);
    }, Math.max(10, Math.floor(prefetchTimeoutMs / 4)));
    this.prefetchSweep.unref();
    this.lockKeeper = new LockKeeper(
      this.running,
      this.queue.storage,
      this.storageCalls,
      this.queue.eventBus,
      {
        workerId: this.id,
        lockDurationMs: this.options.lockDurationMs,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs,
        lockCheckIntervalMs: this.options.lockCheckIntervalMs,
      },
      this.logger,
      this.errors,
    );
    this.lockKeeper.start();
    this.reaper = new StaleLockReaper(
      this.queue.storage,
      this.queue.eventBus,
      this.id,
      this.options.staleLockIntervalMs,
      this.options.staleLockAgeMs,
      this.logger,
      this.errors,
      this.queue.wakeup,
    );
    this.reaper.start();
    this.scheduler = startScheduler(this.queue, this.id, this.options.scheduler);

    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    return new Promise((resolve) => {
      this.stopController.signal.addEventListener('abort', () => void this.stopped?.then(resolve), { once: true });
    });
  }

  /**
   * Stops claiming, waits for running handlers up to the shutdown timeout, then aborts the
   * rest through their AbortSignal and returns their jobs to pending without using up an attempt.
   */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    if (this.lifecycle === 'idle') {
      this.lifecycle = 'stopped';
      this.stopped = Promise.resolve();
      return this.stopped;
    }
    this.lifecycle = 'stopping';
    this.stopped = this.drain();
    this.stopController.abort();
    return this.stopped;
  }

  /**
   * Pauses the worker. Graceful lets running jobs finish; aggressive aborts them through
   * their AbortSignal and returns their jobs to pending without using up an attempt. Once
   * this returns, no new job starts here, including one whose claim was already in flight.
   */
  pause(mode: PauseMode = PauseMode.Graceful): void {
    if (mode !== PauseMode.Graceful && mode !== PauseMode.Aggressive) {
      throw new WorkerPauseError(`Invalid pause mode ${String(mode)}; use PauseMode.Graceful or PauseMode.Aggressive`);
    }
    const wasPaused = this.paused !== null;
    this.paused = mode === PauseMode.Aggressive || this.paused === PauseMode.Aggressive ? PauseMode.Aggressive : PauseMode.Graceful;
    // Prefetched jobs have not started, so they go back to pending in either mode.
    for (const slots of this.slots.values()) slots.abortWaiting('worker-paused');
    if (mode === PauseMode.Aggressive) {
      for (const entry of this.running.values()) if (!entry.finishing) abortRun(entry, 'worker-paused');
    }
    if (!wasPaused || mode === PauseMode.Aggressive) {
      const runningJobs = this.runningJobCount();
      this.logger.log(`Worker ${this.id} paused (${mode}) with ${runningJobs} running job(s)`);
      this.queue.eventBus.emit(new WorkerPaused(this.id, mode, runningJobs));
    }
  }

  /** Resumes claiming after pause(). */
  resume(): void {
    if (this.paused === null) return;
    this.paused = null;
    this.resumed.resolve();
    this.resumed = deferred();
    this.logger.log(`Worker ${this.id} resumed`);
    this.queue.eventBus.emit(new WorkerResumed(this.id));
  }

  isPaused(): boolean {
    return this.paused !== null;
  }

  /** Returns the current pause mode, or null while the worker runs. */
  pauseMode(): PauseMode | null {
    return this.paused;
  }

  /**
   * Resolves once no job runs on the paused worker. Rejects with WorkerPauseError when the
   * worker is not paused or jobs still run after `timeoutMs`.
   */
  async waitForPause(timeoutMs: number): Promise<void> {
    if (this.paused === null) throw new WorkerPauseError(`Worker ${this.id} is not paused; call pause() first`);
    // Claims in flight first: a claim that returns after the pause gives its jobs back.
    const idle = Promise.all(this.dispatching)
      .then(() => Promise.all(this.running.values().map((entry) => entry.done)))
      .then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const finished = await Promise.race([idle, expired]);
    clearTimeout(timer);
    if (!finished || this.running.size > 0) {
      throw new WorkerPauseError(`Worker ${this.id} still runs ${this.running.size} job(s) after ${timeoutMs}ms`);
    }
  }

  /**
   * Cancels a job that runs on this worker: marks it cancelled in storage, so it is never
   * retried, and aborts its handler. Returns false when the job does not run here.
   */
  async cancelJob(jobId: string): Promise<boolean> {
    const entry = this.running.find(jobId);
    if (!entry || entry.finishing) return false;
    await this.queue.cancelJob(jobId);
    return true;
  }

  /**
   * @internal Takes a slot of `queue` for a job that the caller inserts already claimed by
   * this worker, or returns null when the worker does not run the queue, has no free slot,
   * or is paused or stopping. The caller must settle the reservation with start() or cancel().
   */
  reserveSlot(queue: string): SlotReservation | null {
    const slots = this.slots.get(queue);
    if (this.lifecycle !== 'running' || this.paused || !slots?.tryTake()) return null;
    // Tracked like a claim in flight, so that waitForPause() waits for it.
    const dispatched = deferred();
    this.dispatching.add(dispatched.promise);
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      return true;
    };
    return {
      claim: { workerId: this.id, lockMs: this.options.lockDurationMs },
      start: (job) => {
        if (!settle()) return;
        // The worker paused or began stopping while the insert ran: the job goes back to
        // pending, and waitForPause() and stop() wait until the release is written.
        if (this.lifecycle !== 'running' || this.paused) {
          slots.release(false);
          void this.release([job]).finally(() => this.settleDispatch(dispatched));
          return;
        }
        this.launch(job, queue, true);
        this.settleDispatch(dispatched);
      },
      cancel: () => {
        if (!settle()) return;
        slots.release(false);
        this.settleDispatch(dispatched);
      },
    };
  }

  /** @internal Aborts the run of a job on this worker after the database changed its state. */
  abortIfRunning(jobId: string, reason: 'cancelled' | 'job-paused'): boolean {
    return this.lockKeeper?.abortIfRunning(jobId, reason) ?? false;
  }

  /** @internal */
  emitCustomEvent(jobId: string, kind: string, data: Record<string, unknown>): void {
    this.queue.emitCustomEvent(jobId, kind, data);
  }

  /** @internal */
  get workerId(): string {
    return this.options.id;
  }

  private async drain(): Promise<void> {
    clearInterval(this.prefetchSweep);
    // Prefetched jobs have not started: they go back to pending at once.
    for (const slots of this.slots.values()) slots.abortWaiting('shutdown');
    // Counts handlers only: prefetched jobs were just aborted, and finished runs only wait
    // for their outcome write.
    const handlers = this.running.values().filter((entry) => !entry.finishing && !entry.abort.aborted).length;
    if (handlers > 0) {
      this.logger.log(`Worker ${this.id} stopping: waiting up to ${this.options.shutdownTimeoutMs}ms for ${handlers} running job(s)`);
    }
    await this.scheduler?.stop();
    await Promise.all(this.loops);
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, this.options.shutdownTimeoutMs).unref());
    // An enqueue that reserved a slot before the stop releases its job before stop() returns,
    // unless its insert is still stuck on an unreachable database at the deadline.
    await Promise.race([Promise.all(this.dispatching), deadline]);
    const allDone = Promise.all(this.running.values().map((entry) => entry.done)).then(() => undefined);
    await Promise.race([allDone, deadline]);

    if (this.running.size > 0) {
      this.logger.warn(
        `Worker ${this.id}: ${this.running.size} job(s) still running after ${this.options.shutdownTimeoutMs}ms; ` +
          'aborting them and returning them to pending',
      );
      for (const entry of this.running.values()) abortRun(entry, 'shutdown');
      await Promise.all(this.running.values().map((entry) => entry.done));
    }
    this.lockKeeper?.stop();
    await this.reaper?.stop();
    this.lifecycle = 'stopped';
    this.logger.log(`Worker ${this.id} stopped`);
  }

  private async claimLoop(queue: string): Promise<void> {
    const slots = this.slots.get(queue)!;
    const watched = new Set([queue]);
    const stopSignal = this.stopController.signal;
    // A storage that is still connecting in the background makes the worker wait here.
    if (this.queue.storage.whenReady && !(await this.queue.storage.whenReady(stopSignal))) return;
    let failures = 0;
    let finishedAtLastClaim = slots.finishedCount;
    while (!stopSignal.aborted) {
      if (this.paused) {
        await Promise.race([this.resumed.promise, this.queue.wakeup.wait(null, 2 ** 31 - 1, stopSignal)]);
        continue;
      }
      // Handlers that settle in the same turn of the event loop free their slots together,
      // so yielding once lets one claim fill them all instead of one claim per slot.
      await yieldToEventLoop();
      // A pause or stop during the yield starts no claim.
      if (this.paused || stopSignal.aborted) continue;
      slots.pace(slots.finishedCount - finishedAtLastClaim);
      const free = slots.claimable();
      if (free <= 0) {
        await this.queue.wakeup.wait(watched, this.options.pollIntervalMs, stopSignal);
        continue;
      }
      finishedAtLastClaim = slots.finishedCount;
      let claimed: Job[];
      const wakeupVersion = this.queue.wakeup.version;
      // Tracked until its jobs are launched or given back, so that waitForPause() waits for it.
      const dispatched = deferred();
      this.dispatching.add(dispatched.promise);
      try {
        claimed = await this.queue.storage.claim({
          workerId: this.id,
          queues: [queue],
          limit: free,
          lockMs: this.options.lockDurationMs,
        });
        this.errors.clear(`claim:${queue}`);
        failures = 0;
      } catch (error) {
        failures += 1;
        // Backs off so that an outage does not turn the loop into a spin; it never gives up.
        const { dequeueRetry } = this.options;
        const delayMs = dequeueRetry ? retryDelayMs(dequeueRetry, failures) : this.options.pollIntervalMs;
        this.errors.error(
          `claim:${queue}`,
          `Worker ${this.id} failed to claim from queue "${queue}" ` +
            `(${failures} consecutive ${failures === 1 ? 'failure' : 'failures'}, next attempt in ${delayMs}ms): ${messageOf(error)}`,
        );
        this.settleDispatch(dispatched);
        await this.queue.wakeup.wait(watched, delayMs, stopSignal);
        continue;
      }
      // A claim that was in flight when the worker stopped or paused starts nothing.
      if (stopSignal.aborted || this.paused) {
        await this.release(claimed);
        this.settleDispatch(dispatched);
        continue;
      }
      for (const job of claimed) this.launch(job, queue);
      this.settleDispatch(dispatched);
      if (claimed.length < free) await this.queue.wakeup.wait(watched, this.options.pollIntervalMs, stopSignal, wakeupVersion);
    }
  }

  /**
   * Runs a claimed job once it has a slot of its queue. Until then it waits as a prefetched
   * job, in `running` so that heartbeats renew its lock and lock checks see it.
   */
  private launch(job: Job, queue: string, slotTaken = false): void {
    const slots = this.slots.get(queue)!;
    const entry: RunningJob = {
      job,
      queue,
      abort: new RunAbort(),
      abortReason: null,
      finishing: false,
      done: Promise.resolve(),
      position: -1,
    };
    this.running.add(entry);
    const acquired = slotTaken ? Promise.resolve(true) : slots.acquire(entry);
    entry.done = acquired
      .then((granted) => (granted ? this.execute(entry, slots) : this.giveBack(entry)))
      .finally(() => this.running.remove(entry));
  }

  private async execute(entry: RunningJob, slots: QueueSlots): Promise<void> {
    // The slot frees once the handler settles, not once its outcome is written, so the next
    // claim overlaps the outcome write. The entry stays in `running`, and its lock renewed,
    // until the write ends.
    let holdsSlot = true;
    const freeSlot = () => {
      if (!holdsSlot) return;
      holdsSlot = false;
      slots.release();
    };
    try {
      await this.runner.run(entry, freeSlot);
    } finally {
      freeSlot();
    }
  }

  /** Ends a prefetched job that never started: back to pending, unless the database already moved it on. */
  private async giveBack(entry: RunningJob): Promise<void> {
    if (!releasesJob(entry.abortReason)) return;
    const { job } = entry;
    try {
      await this.outcomes.record({ id: job.id, workerId: this.id, attempt: job.attempt, kind: 'released' });
    } catch (error) {
      this.errors.error('release', `Worker ${this.id} failed to return prefetched job ${job.id} to pending: ${this.storageCalls.describeFailure(error)}`);
    }
  }

  private settleDispatch(dispatched: { promise: Promise<void>; resolve: () => void }): void {
    this.dispatching.delete(dispatched.promise);
    dispatched.resolve();
  }

  private async release(jobs: Job[]): Promise<void> {
    const outcomes: JobOutcome[] = jobs.map((job) => ({ id: job.id, workerId: this.id, attempt: job.attempt, kind: 'released' }));
    try {
      await this.storageCalls.release(outcomes);
    } catch (error) {
      const ids = jobs.map((job) => job.id).join(', ');
      this.errors.error('release', `Worker ${this.id} failed to release claimed jobs ${ids}: ${this.storageCalls.describeFailure(error)}`);
    }
  }
}

/** A worker slot held for a job that is being inserted already claimed. */
export interface SlotReservation {
  readonly claim: ClaimAtInsert;
  /** Runs the job, which the insert claimed for this worker. */
  start(job: Job): void;
  /** Frees the slot: the job was not inserted, or was inserted pending. */
  cancel(): void;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
