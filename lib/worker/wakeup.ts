/**
 * Wakes idle claim loops when work may be available, so a job enqueued in this process
 * starts without waiting for the next poll.
 */
export class Wakeup {
  private readonly waiters = new Set<{ queues: ReadonlySet<string> | null; resolve: () => void }>();

  /** Wakes the loops that watch `queue`; with no queue, wakes every loop. */
  notify(queue?: string): void {
    for (const waiter of this.waiters) {
      if (queue === undefined || waiter.queues === null || waiter.queues.has(queue)) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Resolves after `timeoutMs`, on a notify for one of `queues` (null: any), or when `signal` aborts. */
  wait(queues: ReadonlySet<string> | null, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const waiter = { queues, resolve: () => finish() };
      const timer = setTimeout(() => finish(), timeoutMs);
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
}
