import type { ScheduleClock } from '../../lib/index.js';

interface Sleeper {
  deadline: number;
  resolve: () => void;
}

/**
 * A schedule clock that moves only when a test moves it. advance() wakes the schedulers whose
 * deadline passed and resolves once each of them has finished its round and sleeps again. A
 * test can then check the results at once, without waiting for real time to pass.
 */
export class FakeClock implements ScheduleClock {
  /** Every delay a scheduler asked to sleep, in milliseconds. */
  readonly requestedDelays: number[] = [];
  private time: number;
  private readonly sleepers = new Set<Sleeper>();
  private readonly idleWaiters = new Set<{ count: number; resolve: () => void }>();

  constructor(start: Date | string | number) {
    this.time = new Date(start).getTime();
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.requestedDelays.push(ms);
    // A zero delay means "go on at once"; it is not a sleep that settle() waits for.
    if (signal.aborted || ms <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        deadline: this.time + ms,
        resolve: () => {
          this.sleepers.delete(sleeper);
          signal.removeEventListener('abort', sleeper.resolve);
          resolve();
        },
      };
      signal.addEventListener('abort', sleeper.resolve, { once: true });
      this.sleepers.add(sleeper);
      this.checkIdle();
    });
  }

  /** Number of schedulers asleep now. */
  get sleeping(): number {
    return this.sleepers.size;
  }

  /** Resolves once at least `count` schedulers are asleep. */
  settle(count: number, ms = 10_000): Promise<void> {
    if (this.sleepers.size >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters.delete(waiter);
        reject(new Error(`only ${this.sleepers.size} of ${count} schedulers went to sleep within ${ms}ms`));
      }, ms);
      const waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.idleWaiters.add(waiter);
    });
  }

  /**
   * Moves the clock forward by `ms` and wakes the sleepers whose deadline passed. Resolves
   * once as many schedulers sleep as before the move.
   */
  async advance(ms: number): Promise<void> {
    await this.setTime(this.time + ms);
  }

  /** Moves the clock forward to `time`; see advance(). */
  async setTime(time: Date | string | number): Promise<void> {
    const target = new Date(time).getTime();
    if (target < this.time) throw new Error('the fake clock only moves forward');
    const asleep = this.sleepers.size;
    this.time = target;
    for (const sleeper of [...this.sleepers]) {
      if (sleeper.deadline <= this.time) sleeper.resolve();
    }
    await this.settle(asleep);
  }

  private checkIdle(): void {
    for (const waiter of this.idleWaiters) {
      if (this.sleepers.size >= waiter.count) {
        this.idleWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}
