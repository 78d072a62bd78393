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
