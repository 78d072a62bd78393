import { quoteIdentifier, type TableNames } from '../table-names.js';
import { LIVE_UNIQUE_KEY, RUNNABLE } from './predicates.js';

/**
 * The database clock. Differs from SQLite: timestamptz keeps microseconds, so the clock is cut
 * to milliseconds. Every stored time then fits a JavaScript Date exactly, and the claim order
 * re-sorted in JavaScript matches the order the query used. now() is the start of the
 * transaction, which is one statement outside an explicit transaction.
 */
const NOW = "date_trunc('milliseconds', now())";

/** Converts a float8 millisecond parameter or column into an interval. */
function milliseconds(expression: string): string {
  return `(${expression} * interval '1 millisecond')`;
}

export type PostgresStatements = ReturnType<typeof createPostgresStatements>;

/** Builds the SQL for one jobs table. Parameters are positional ($1 …). */
export function createPostgresStatements(tables: TableNames) {
  const jobs = quoteIdentifier(tables.jobs);

  return Object.freeze({
    /**
     * Inserts a batch with a fixed number of array parameters, however many rows it has.
     * Differs from SQLite, which takes one JSON array. WITH ORDINALITY and ORDER BY keep the
     * input order, so `seq` follows it and the first of two jobs with one key wins.
     */
    insertJobs: `
      INSERT INTO ${jobs} (id, type, queue, args, priority, status, attempt, max_retries,
                           unique_key, backoff, run_at, created_at, updated_at)
      SELECT i.id, i.type, i.queue, i.args, i.priority, 'pending', 0, i.max_retries,
             i.unique_key, i.backoff, COALESCE(i.run_at, ${NOW} + ${milliseconds('i.delay_ms')}), ${NOW}, ${NOW}
      FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::text[], $5::integer[], $6::integer[],
                  $7::varchar[], $8::text[], $9::timestamptz[], $10::float8[])
           WITH ORDINALITY AS i(id, type, queue, args, priority, max_retries,
                                unique_key, backoff, run_at, delay_ms, position)
      ORDER BY i.position
      ON CONFLICT (unique_key) WHERE ${LIVE_UNIQUE_KEY} DO NOTHING
      RETURNING id`,

    /** $1: unique keys. Returns the live job holding each key. */
    findLiveHolders: `
      SELECT unique_key, id FROM ${jobs}
      WHERE unique_key = ANY($1::varchar[]) AND ${LIVE_UNIQUE_KEY}`,

    /**
     * $1 queues, $2 limit, $3 worker id, $4 lock milliseconds. Differs from SQLite: FOR UPDATE
     * SKIP LOCKED lets concurrent claims pass over each other's rows instead of waiting, and
     * MATERIALIZED stops the planner from inlining the locking subquery into the UPDATE.
     */
    claim: `
      WITH next AS MATERIALIZED (
        SELECT id FROM ${jobs}
        WHERE ${RUNNABLE} AND queue = ANY($1::varchar[]) AND run_at <= ${NOW}
        ORDER BY priority DESC, run_at, seq
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${jobs} AS j
      SET status = 'running',
          attempt = j.attempt + 1,
          locked_by = $3,
          locked_until = ${NOW} + ${milliseconds('$4::float8')},
          started_at = ${NOW},
          last_heartbeat_at = ${NOW},
          updated_at = ${NOW}
      FROM next
      WHERE j.id = next.id
      RETURNING j.*`,

    /**
     * Writes a batch of mixed outcomes, each fenced on its claim token. $1 ids, $2 worker ids,
     * $3 attempts, $4 kinds, $5 result JSON, $6 error JSON, $7 retry delays in milliseconds.
     * An unknown kind sets status to NULL, which the NOT NULL constraint rejects.
     */
    recordOutcomes: `
      UPDATE ${jobs} AS j
      SET status = CASE o.kind
                     WHEN 'completed' THEN 'completed'
                     WHEN 'failed' THEN 'failed'
                     WHEN 'retrying' THEN 'retrying'
                     WHEN 'released' THEN 'pending'
                   END,
          attempt = CASE o.kind WHEN 'released' THEN j.attempt - 1 ELSE j.attempt END,
          result = CASE o.kind WHEN 'completed' THEN o.result ELSE j.result END,
          last_error = CASE WHEN o.kind IN ('failed', 'retrying') THEN o.error ELSE j.last_error END,
          completed_at = CASE WHEN o.kind IN ('completed', 'failed') THEN ${NOW} ELSE j.completed_at END,
          run_at = CASE o.kind WHEN 'retrying' THEN ${NOW} + ${milliseconds('o.delay_ms')} ELSE j.run_at END,
          locked_by = NULL,
          locked_until = NULL,
          updated_at = ${NOW}
      FROM unnest($1::uuid[], $2::varchar[], $3::integer[], $4::varchar[], $5::text[], $6::text[], $7::float8[])
           AS o(id, worker_id, attempt, kind, result, error, delay_ms)
      WHERE j.id = o.id AND j.locked_by = o.worker_id AND j.attempt = o.attempt AND j.status = 'running'
      RETURNING j.id`,

    /** $1 worker id, $2 lock milliseconds. */
    heartbeat: `
      UPDATE ${jobs}
      SET locked_until = ${NOW} + ${milliseconds('$2::float8')},
          last_heartbeat_at = ${NOW},
          updated_at = ${NOW}
      WHERE locked_by = $1 AND status = 'running'
      RETURNING id`,

    /**
     * $1 stale age in milliseconds, $2 limit. Returns running jobs whose lock expired more
     * than the stale age ago to pending, or fails them when the lost attempt was their last.
     * The attempt stays counted, so a job that kills its worker every time ends failed. The
     * CTE keeps the previous lock owner, which the UPDATE clears.
     */
    reclaimStaleLocks: `
      WITH stale AS MATERIALIZED (
        SELECT id, locked_by FROM ${jobs}
        WHERE status = 'running' AND locked_until < ${NOW} - ${milliseconds('$1::float8')}
        ORDER BY locked_until
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${jobs} AS j
      SET status = CASE WHEN j.attempt > j.max_retries THEN 'failed' ELSE 'pending' END,
          last_error = to_json('Worker ' || COALESCE(stale.locked_by, '(unknown)')
                               || ' was lost while running attempt ' || j.attempt
                               || '; its lock expired at ' || to_char(j.locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text,
          completed_at = CASE WHEN j.attempt > j.max_retries THEN ${NOW} ELSE j.completed_at END,
          locked_by = NULL,
          locked_until = NULL,
          updated_at = ${NOW}
      FROM stale
      WHERE j.id = stale.id AND j.status = 'running'
      RETURNING j.id, j.type, j.queue, j.attempt, j.max_retries, j.status, stale.locked_by AS lost_worker`,

    getJob: `SELECT * FROM ${jobs} WHERE id = $1`,

    /** $1 statuses or null, $2 queue or null, $3 type or null, $4 limit. */
    listJobs: `
      SELECT * FROM ${jobs}
      WHERE ($1::varchar[] IS NULL OR status = ANY($1::varchar[]))
        AND ($2::varchar IS NULL OR queue = $2::varchar)
        AND ($3::varchar IS NULL OR type = $3::varchar)
      ORDER BY seq
      LIMIT $4`,

    /** $1 queue or null. */
    countByStatus: `
      SELECT status, count(*) AS count FROM ${jobs}
      WHERE ($1::varchar IS NULL OR queue = $1::varchar)
      GROUP BY status`,
  });
}
