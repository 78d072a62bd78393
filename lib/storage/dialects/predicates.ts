/**
 * Predicates shared by both dialects. Each must match the WHERE clause of the partial index
 * it relies on, as migration 0001 created it. PostgreSQL infers the unique index of
 * ON CONFLICT from the predicate, and both planners use a partial index only when the query
 * implies the index predicate.
 */

/** Rows the unique key index covers: a key is held while its job is live. */
export const LIVE_UNIQUE_KEY = "unique_key IS NOT NULL AND status IN ('pending', 'running', 'retrying', 'waiting', 'paused')";

/** Rows a worker may claim once their run time has come. */
export const RUNNABLE = "status IN ('pending', 'retrying')";

/** Non-terminal statuses; a cancelled parent's sub-jobs in these statuses are cancelled too. */
export const LIVE_STATUSES = "('pending', 'running', 'retrying', 'waiting', 'paused')";

/**
 * The status of a fan-out after `succeeded` and `failed` of its `total` sub-jobs finished,
 * for both dialects. fail_fast fails on the first failure; threshold succeeds as soon as
 * the share of successes reaches it and fails as soon as it can no longer be reached;
 * otherwise the fan-out is decided when every sub-job finished. The small epsilon keeps
 * float rounding of threshold × total from missing an exact match.
 */
export function fanOutDecision(alias: string, succeededSum: string, failedSum: string): string {
  const succeeded = `(${succeededSum})`;
  const failed = `(${failedSum})`;
  const strategy = `${alias}.strategy`;
  const target = `(${alias}.threshold * ${alias}.total - 1e-9)`;
  return `CASE
      WHEN ${strategy} = 'fail_fast' AND ${failed} > 0 THEN 'failed'
      WHEN ${strategy} = 'threshold' AND ${succeeded} >= ${target} THEN 'succeeded'
      WHEN ${strategy} = 'threshold' AND ${alias}.total - ${failed} < ${target} THEN 'failed'
      WHEN ${succeeded} + ${failed} >= ${alias}.total THEN 'succeeded'
      ELSE 'pending'
    END`;
}
