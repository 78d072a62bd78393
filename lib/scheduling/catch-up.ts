import type { CompiledTiming } from './schedule-timing.js';

/**
 * How many skipped ticks of a cron schedule are counted one by one after downtime. Counting
 * costs one croner search per tick, so a per-second expression after a year of downtime stops
 * here. An interval schedule is counted exactly by arithmetic, whatever the number.
 */
export const MAX_COUNTED_MISSED_TICKS = 1_000;

/** Effect of firing an overdue tick on the rest of the schedule. */
export interface CatchUpPlan {
  /** Next fire time after `nowMs`, or null when the schedule has no later fire time. */
  nextRunAtMs: number | null;
  /** Ticks after the one that fires that are due by now; they are skipped, not run. */
  missed: number;
  /** True when counting stopped at MAX_COUNTED_MISSED_TICKS, so at least `missed` ticks were skipped. */
  capped: boolean;
}

/**
 * Plans the firing of the tick due at `dueMs`, which is at or before `nowMs`. The catch-up
 * policy is one run: the due tick fires once, every later tick up to `nowMs` is skipped and
 * counted, and the schedule continues with its first fire time after `nowMs`.
 */
export function planCatchUp(compiled: CompiledTiming, dueMs: number, nowMs: number): CatchUpPlan {
  const now = Math.max(nowMs, dueMs);
  const { timing } = compiled;
  if (timing.kind === 'every') {
    const interval = timing.intervalMs;
    const missed = Math.max(0, Math.floor(now / interval) - Math.floor(dueMs / interval));
    return { nextRunAtMs: compiled.next(now), missed, capped: false };
  }

  let missed = 0;
  let tick = compiled.next(dueMs);
  while (tick !== null && tick <= now) {
    if (missed === MAX_COUNTED_MISSED_TICKS) {
      return { nextRunAtMs: compiled.next(now), missed, capped: true };
    }
    missed += 1;
    tick = compiled.next(tick);
  }
  return { nextRunAtMs: tick, missed, capped: false };
}
