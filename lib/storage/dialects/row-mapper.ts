import { decodeJson } from '../../common/json-payload.js';
import type { BackoffPolicy, Job, JobStatus } from '../../interfaces/job.interface.js';

/**
 * A timestamp as a driver returns it: node-postgres parses timestamptz into a Date, SQLite
 * stores INTEGER milliseconds since the epoch. A string appears only when an application
 * replaced the pg type parser for timestamptz.
 */
export type TimestampValue = Date | number | string;

/** A row of the jobs table with its column names. */
export interface JobRow {
  id: string;
  /** node-postgres returns bigint as a string unless parseInt8 is set. */
  seq: string | number | bigint;
  type: string;
  queue: string;
  args: string;
  priority: number;
  status: string;
  attempt: number;
  max_retries: number;
  last_error: string | null;
  result: string | null;
  unique_key: string | null;
  backoff: string | null;
  run_at: TimestampValue;
  started_at: TimestampValue | null;
  completed_at: TimestampValue | null;
  created_at: TimestampValue;
  updated_at: TimestampValue;
  last_heartbeat_at: TimestampValue | null;
  locked_by: string | null;
  locked_until: TimestampValue | null;
  parent_job_id?: string | null;
}

/** Converts a row into a Job, decoding the JSON payload columns. */
export function mapJobRow<TArgs = unknown, TResult = unknown>(row: JobRow): Job<TArgs, TResult> {
  return {
    id: row.id,
    type: row.type,
    queue: row.queue,
    args: decodeJson<TArgs>(row.args) as TArgs,
    priority: Number(row.priority),
    status: row.status as JobStatus,
    attempt: Number(row.attempt),
    maxRetries: Number(row.max_retries),
    lastError: decodeJson<string>(row.last_error),
    result: decodeJson<TResult>(row.result),
    uniqueKey: row.unique_key,
    backoff: decodeJson<BackoffPolicy>(row.backoff),
    runAt: toDate(row.run_at),
    startedAt: toNullableDate(row.started_at),
    completedAt: toNullableDate(row.completed_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    lastHeartbeatAt: toNullableDate(row.last_heartbeat_at),
    lockedBy: row.locked_by,
    lockedUntil: toNullableDate(row.locked_until),
    parentJobId: row.parent_job_id ?? null,
  };
}

/**
 * Orders claimed rows as the claim query selected them: priority descending, then run time,
 * then insertion order. UPDATE … RETURNING does not promise any row order on either dialect.
 */
export function compareClaimOrder(a: JobRow, b: JobRow): number {
  if (a.priority !== b.priority) return Number(b.priority) - Number(a.priority);
  const runAtDifference = toDate(a.run_at).getTime() - toDate(b.run_at).getTime();
  if (runAtDifference !== 0) return runAtDifference;
  const seqA = BigInt(a.seq);
  const seqB = BigInt(b.seq);
  if (seqA === seqB) return 0;
  return seqA < seqB ? -1 : 1;
}

function toDate(value: TimestampValue): Date {
  if (value instanceof Date) return value;
  // V8 parses PostgreSQL's text form, such as `2026-12-04 20:01:38.19+00`.
  return new Date(value);
}

function toNullableDate(value: TimestampValue | null): Date | null {
  return value === null ? null : toDate(value);
}
