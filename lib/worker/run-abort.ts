/**
 * The abort state of one run. The AbortSignal behind `ctx.signal` is made only when a handler
 * reads it, because most handlers never do. A Node.js AbortController with its listener took
 * about 1.4 KB of the 16.7 KB a no-op run allocated.
 */
export class RunAbort {
  private controller: AbortController | undefined;
  private abortReason: Error | undefined;
  private listener: ((reason: Error) => void) | undefined;

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  get reason(): Error | undefined {
    return this.abortReason;
  }

  /** The signal handed to the handler; already aborted when the run was aborted before it was read. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.abortReason !== undefined && !this.controller.signal.aborted) this.controller.abort(this.abortReason);
    return this.controller.signal;
  }

  /** Aborts once; later calls keep the first reason. */
  abort(reason: Error): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    const listener = this.listener;
    this.listener = undefined;
    listener?.(reason);
  }

  /**
   * Registers the listener called on abort, in place of any earlier one, because a run has one
   * waiter at a time: first the wait for a slot, then the handler. Returns a function that
   * removes it.
   */
  onAbort(listener: (reason: Error) => void): () => void {
    this.listener = listener;
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }
}
