import type { ScheduleDefinition, ScheduleFiring } from '../schedule-storage.interface.js';
import type { TimestampValue } from './row-mapper.js';

/** A row of the schedules table with its column names, as either driver returns it. */
export interface ScheduleRow {
  name: string;
  kind: string;
  /** node-postgres returns bigint as a string. */
  interval_ms: number | string | null;
  cron_expression: string | null;
  timezone: string | null;
  type: string;
  queue: string;
  args: string;
  priority: number;
  max_retries: number;
  backoff: string | null;
  /** boolean on PostgreSQL, 0 or 1 on SQLite. */
  paused: boolean | number;
  next_run_at: TimestampValue | null;
  last_run_at: TimestampValue | null;
  last_job_id: string | null;
  revision: number;
  created_at: TimestampValue;
  updated_at: TimestampValue;
}

/** Runs the schedule statements of one dialect on its driver. */
export interface ScheduleBackend {
  /** Returns the inserted or updated row, or null when the stored definition was the same. */
  upsert(definition: ScheduleDefinition, firstRunAt: Date | null): Promise<ScheduleRow | null>;
  get(name: string): Promise<ScheduleRow | null>;
  list(): Promise<ScheduleRow[]>;
  upcoming(limit: number): Promise<ScheduleRow[]>;
  pause(name: string): Promise<boolean>;
  resume(name: string, nextRunAt: Date | null): Promise<boolean>;
  remove(name: string): Promise<boolean>;
  fire(firing: ScheduleFiring): Promise<boolean>;
}

/** Columns of a schedule's timing: a change of any of them recomputes the next run time. */
export const TIMING_COLUMNS = ['kind', 'interval_ms', 'cron_expression', 'timezone'] as const;

/** Columns of the job a schedule enqueues. */
export const JOB_COLUMNS = ['type', 'queue', 'args', 'priority', 'max_retries', 'backoff'] as const;
