/** Run times kept per queue by notifyAt(). Later ones are left to polling. */
const MAX_DUE_TIMES = 1_000;
/** How long after a job's run time its wake-up fires, to absorb small clock differences. */
const DUE_MARGIN_MS = 5;

/**
 * Wakes idle claim loops when work may be available, so a job enqueued in this process, or
 * announced by another process through PostgreSQL NOTIFY, starts without waiting for the
 * next poll. Every notification bumps a version, so a loop that was busy claiming when it
 * arrived finds it on its next wait instead of losing it.
 */
export class Wakeup {
  private readonly waiters = new Set<{ queues: ReadonlySet<string> | null; resolve: () => void }>();
  private current = 0;
  private notifiedAll = 0;
  private readonly notifiedQueues = new Map<string, number>();
  /** Run times, in epoch milliseconds and ascending, at which a queue has a job coming due. */
  private readonly dueTimes = new Map<string, number[]>();
  private dueTimer: NodeJS.Timeout | undefined;
  private dueTimerAt = Infinity;

  /** Version of the latest notification; pass it to wait() to catch notifications sent after this point. */
  get version(): number {
    return this.current;
  }

  /** Wakes the loops that watch `queue`; with no queue, wakes every loop. */
  notify(queue?: string): void {
    this.current += 1;
    if (queue === undefined) this.notifiedAll = this.current;
    else this.notifiedQueues.set(queue, this.current);
    for (const waiter of this.waiters) {
      if (queue === undefined || waiter.queues === null || waiter.queues.has(queue)) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /**
   * Wakes the loops that watch `queue` at `at` (epoch milliseconds), when a job of this process
   * comes due there, so that it does not wait for the next poll. Each queue keeps at most
   * MAX_DUE_TIMES of the earliest times, and jobs due later than those are found by polling.
   */
  notifyAt(queue: string, at: number): void {
    const times = this.dueTimes.get(queue) ?? [];
    // Binary search for the first time after `at`, so a large batch stays cheap.
    let low = 0;
    let high = times.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (times[middle] <= at) low = middle + 1;
      else high = middle;
    }
    const index = low;
    if (index >= MAX_DUE_TIMES) return;
    times.splice(index, 0, at);
    if (times.length > MAX_DUE_TIMES) times.pop();
    this.dueTimes.set(queue, times);
    if (at < this.dueTimerAt) this.armDueTimer(at);
  }

  private armDueTimer(at: number): void {
    clearTimeout(this.dueTimer);
    this.dueTimerAt = at;
    // A margin past the run time, since the database's clock decides when the job is due.
    const delayMs = Math.min(Math.max(0, at - Date.now()) + DUE_MARGIN_MS, 2 ** 31 - 1);
    this.dueTimer = setTimeout(() => this.fireDue(), delayMs);
    this.dueTimer.unref();
  }

  private fireDue(): void {
    this.dueTimer = undefined;
    this.dueTimerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [queue, times] of this.dueTimes) {
      let due = 0;
      while (due < times.length && times[due] <= now) due += 1;
      if (due > 0) {
        times.splice(0, due);
        this.notify(queue);
      }
      if (times.length === 0) this.dueTimes.delete(queue);
      else next = Math.min(next, times[0]);
    }
    if (next !== Infinity) this.armDueTimer(next);
  }

  /**
   * Resolves after `timeoutMs`, on a notify for one of `queues` (null: any), or when `signal`
   * aborts; at once when such a notification arrived after version `since`.
   */
  wait(queues: ReadonlySet<string> | null, timeoutMs: number, signal?: AbortSignal, since?: number): Promise<void> {
    if (since !== undefined && this.notifiedSince(queues, since)) return Promise.resolve();
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const waiter = { queues, resolve: () => finish() };
      // setTimeout takes at most 2^31 - 1 ms; longer waits are cut there and the loop waits again.
      const timer = setTimeout(() => finish(), Math.min(timeoutMs, 2 ** 31 - 1));
      const onAbort = () => finish();
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        resolve();
      };
      this.waiters.add(waiter);
    });
  }

  private notifiedSince(queues: ReadonlySet<string> | null, since: number): boolean {
    if (this.notifiedAll > since) return true;
    if (queues === null) return this.current > since;
    for (const queue of queues) if ((this.notifiedQueues.get(queue) ?? 0) > since) return true;
    return false;
  }
}
