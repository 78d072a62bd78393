import { quoteIdentifier, type TableNames } from '../table-names.js';
import { LIVE_UNIQUE_KEY, RUNNABLE } from './predicates.js';

/**
 * The database clock in INTEGER milliseconds since the epoch. Differs from PostgreSQL, which
 * stores timestamptz. unixepoch('subsec') needs SQLite 3.42; better-sqlite3 12 bundles 3.53.
 * SQLite returns the same 'now' to every call within one sqlite3_step(), and a statement with
 * RETURNING makes all its changes in its first step, so every use in one statement agrees.
 */
const NOW = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";

export type SqliteStatements = ReturnType<typeof createSqliteStatements>;

/**
 * Builds the SQL for one jobs table. insertJobs and findLiveHolders take one positional
 * parameter because they also run through TypeORM's EntityManager.query(), which binds an
 * array. The other statements run only on the storage's own prepared statements and use
 * named parameters.
 */
export function createSqliteStatements(tables: TableNames) {
  const jobs = quoteIdentifier(tables.jobs);

  return Object.freeze({
    /**
     * Inserts a batch given as one JSON array of objects. Differs from PostgreSQL, which binds
     * one array per column. `WHERE true` is required: without it SQLite parses the ON of
     * ON CONFLICT as a join constraint of the SELECT. json_each yields the array in order and
     * ORDER BY key makes that explicit, so `seq` follows the input order.
     */
    insertJobs: `
      INSERT INTO ${jobs} (id, type, queue, args, priority, status, attempt, max_retries,
                           unique_key, backoff, run_at, created_at, updated_at)
      SELECT value ->> 'id', value ->> 'type', value ->> 'queue', value ->> 'args',
             value ->> 'priority', 'pending', 0, value ->> 'maxRetries',
             value ->> 'uniqueKey', value ->> 'backoff',
             COALESCE(value ->> 'runAt', ${NOW} + (value ->> 'delayMs')), ${NOW}, ${NOW}
      FROM json_each(?)
      WHERE true
      ORDER BY key
      ON CONFLICT (unique_key) WHERE ${LIVE_UNIQUE_KEY} DO NOTHING
      RETURNING id`,

    /** One JSON array of unique keys. Returns the live job holding each key. */
    findLiveHolders: `
      SELECT unique_key, id FROM ${jobs}
      WHERE unique_key IN (SELECT value FROM json_each(?)) AND ${LIVE_UNIQUE_KEY}`,

    /**
     * Differs from PostgreSQL: there is no SKIP LOCKED, and none is needed, because the
     * storage runs this in an immediate transaction that holds the database's only write lock.
     */
    claim: `
      UPDATE ${jobs}
      SET status = 'running',
          attempt = attempt + 1,
          locked_by = @workerId,
          locked_until = ${NOW} + @lockMs,
          started_at = ${NOW},
          last_heartbeat_at = ${NOW},
          updated_at = ${NOW}
      WHERE seq IN (
        SELECT seq FROM ${jobs}
        WHERE ${RUNNABLE} AND queue IN (SELECT value FROM json_each(@queues)) AND run_at <= ${NOW}
        ORDER BY priority DESC, run_at, seq
        LIMIT @limit
      )
      RETURNING *`,

    /**
     * Writes a batch of mixed outcomes, each fenced on its claim token. @outcomes is one JSON
     * array of objects. Differs from PostgreSQL, which binds one array per column. An unknown
     * kind sets status to NULL, which the NOT NULL constraint rejects.
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
          run_at = CASE o.kind WHEN 'retrying' THEN ${NOW} + o.delay_ms ELSE j.run_at END,
          locked_by = NULL,
          locked_until = NULL,
          updated_at = ${NOW}
      FROM (
        SELECT value ->> 'id' AS id, value ->> 'workerId' AS worker_id, value ->> 'attempt' AS attempt,
               value ->> 'kind' AS kind, value ->> 'result' AS result, value ->> 'error' AS error,
               value ->> 'delayMs' AS delay_ms
        FROM json_each(@outcomes)
      ) AS o
      WHERE j.id = o.id AND j.locked_by = o.worker_id AND j.attempt = o.attempt AND j.status = 'running'
      RETURNING id`,

    heartbeat: `
      UPDATE ${jobs}
      SET locked_until = ${NOW} + @lockMs,
          last_heartbeat_at = ${NOW},
          updated_at = ${NOW}
      WHERE locked_by = @workerId AND status = 'running'
      RETURNING id`,

    /**
     * @staleMs stale age in milliseconds, @limit. Selects running jobs whose lock expired
     * more than the stale age ago. Differs from PostgreSQL: the reclaim is this SELECT and
     * reclaimStaleLocks run in one immediate transaction, since an UPDATE cannot return the
     * lock owner it clears.
     */
    findStaleLocks: `
      SELECT id, locked_by AS lost_worker FROM ${jobs}
      WHERE status = 'running' AND locked_until < ${NOW} - @staleMs
      ORDER BY locked_until
      LIMIT @limit`,

    /**
     * @ids JSON array of ids found by findStaleLocks. Returns them to pending, or fails them
     * when the lost attempt was their last; the attempt stays counted.
     */
    reclaimStaleLocks: `
      UPDATE ${jobs}
      SET status = CASE WHEN attempt > max_retries THEN 'failed' ELSE 'pending' END,
          last_error = json_quote('Worker ' || COALESCE(locked_by, '(unknown)')
                                  || ' was lost while running attempt ' || attempt
                                  || '; its lock expired at ' || strftime('%Y-%m-%dT%H:%M:%fZ', locked_until / 1000.0, 'unixepoch')),
          completed_at = CASE WHEN attempt > max_retries THEN ${NOW} ELSE completed_at END,
          locked_by = NULL,
          locked_until = NULL,
          updated_at = ${NOW}
      WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'running'
      RETURNING id, type, queue, attempt, max_retries, status`,

    getJob: `SELECT * FROM ${jobs} WHERE id = @id`,

    /** @statuses is a JSON array or null; @queue and @type are null when not filtered. */
    listJobs: `
      SELECT * FROM ${jobs}
      WHERE (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
        AND (@queue IS NULL OR queue = @queue)
        AND (@type IS NULL OR type = @type)
      ORDER BY seq
      LIMIT @limit`,

    countByStatus: `
      SELECT status, count(*) AS count FROM ${jobs}
      WHERE (@queue IS NULL OR queue = @queue)
      GROUP BY status`,
  });
}
