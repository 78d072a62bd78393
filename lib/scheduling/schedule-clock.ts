/** The largest delay setTimeout honours; a larger one fires at once, which would make a loop spin. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The clock that decides when schedules are due, in this process. The module option
 * `scheduleClock` replaces it, so tests can move time forward instead of waiting. Job run times
 * stay on the database clock.
 */
export interface ScheduleClock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Resolves once `ms` have passed on this clock, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The real clock: Date.now() and setTimeout, with delays cut to MAX_TIMER_DELAY_MS. */
export const systemClock: ScheduleClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        resolve();
      };
      const timer = setTimeout(finish, Math.min(Math.max(0, ms), MAX_TIMER_DELAY_MS));
      signal.addEventListener('abort', finish, { once: true });
    }),
};
