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
