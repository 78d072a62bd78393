/**
 * The abort state of one run. The AbortSignal that handlers read from `ctx.signal` is made
 * only when a handler reads it: most handlers never do, and a Node.js AbortController with
 * its listener costs more memory than the rest of a no-op run.
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

  /** Calls `listener` on abort, at most once; the run has a single waiter, so one listener is kept. */
  onAbort(listener: (reason: Error) => void): () => void {
    this.listener = listener;
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }
}
