import { quoteIdentifier, type TableNames } from '../table-names.js';
import { LIVE_STATUSES, LIVE_UNIQUE_KEY, RUNNABLE, fanOutDecision } from './predicates.js';

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

/** Returns the NOTIFY channel that announces enqueued jobs, which is the jobs table's name. */
export function enqueueChannel(tables: TableNames): string {
  return tables.jobs;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Returns the call that announces enqueued jobs of the queues `queues` names, a
 * comma-separated text. PostgreSQL delivers it at commit, so a listener never wakes for an
 * uncommitted job.
 */
export function notifyEnqueued(tables: TableNames, queues: string): string {
  return `pg_notify(${quoteLiteral(enqueueChannel(tables))}, ${queues})`;
}

/**
 * CTEs that follow a CTE named `written` (columns id, status, fan_out_id) of jobs that just
 * changed status. Finished sub-jobs are tallied into their fan-outs, a fan-out that is now
 * decided returns its waiting parent to pending, and a parent that failed cancels the live
 * sub-jobs of fan-outs marked cancel_on_parent_failure. All of it commits with the outcomes,
 * in the same statement, and costs a constant amount per finished sub-job.
 */
function fanOutEffects(jobs: string, fanOuts: string): string {
  const succeeded = 'f.succeeded + t.succeeded';
  const failed = 'f.failed + t.failed';
  return `,
      tally AS (
        SELECT fan_out_id,
               count(*) FILTER (WHERE status = 'completed') AS succeeded,
               count(*) FILTER (WHERE status IN ('failed', 'cancelled')) AS failed
        FROM written
        WHERE fan_out_id IS NOT NULL AND status IN ('completed', 'failed', 'cancelled')
        GROUP BY fan_out_id
      ),
      decided AS (
        UPDATE ${fanOuts} AS f
        SET succeeded = ${succeeded},
            failed = ${failed},
            status = ${fanOutDecision('f', succeeded, failed)},
            decided_at = CASE WHEN ${fanOutDecision('f', succeeded, failed)} = 'pending' THEN NULL ELSE ${NOW} END
        FROM tally AS t
        WHERE f.id = t.fan_out_id AND f.status = 'pending'
        RETURNING f.parent_job_id, f.status
      ),
      woken AS (
        UPDATE ${jobs}
        SET status = 'pending', run_at = ${NOW}, updated_at = ${NOW}
        WHERE id IN (SELECT parent_job_id FROM decided WHERE status <> 'pending') AND status = 'waiting'
        RETURNING id
      ),
      cancelled AS (
        UPDATE ${jobs} AS c
        SET status = 'cancelled', completed_at = ${NOW}, locked_by = NULL, locked_until = NULL, updated_at = ${NOW},
            last_error = to_json('Cancelled because parent job ' || f.parent_job_id || ' failed'::text)::text
        FROM ${fanOuts} AS f
        WHERE c.fan_out_id = f.id
          AND f.cancel_on_parent_failure
          AND f.parent_job_id IN (SELECT id FROM written WHERE status = 'failed')
          AND c.status IN ${LIVE_STATUSES}
          AND c.id NOT IN (SELECT id FROM written)
        RETURNING c.id
      )`;
}

/**
 * The columns a claim returns, with every timestamp as float8 milliseconds since the epoch.
 * node-postgres would otherwise parse each timestamptz with a regular expression into a Date,
 * which made up about a sixth of the memory a worker allocates per job. Every stored time is
 * cut to whole milliseconds, so the float is exact.
 */
function claimedColumns(alias: string): string {
  const epochMs = (column: string) => `(extract(epoch FROM ${alias}${column}) * 1000)::float8 AS ${column}`;
  return [
    ...['id', 'seq', 'type', 'queue', 'args', 'priority', 'status', 'attempt', 'max_retries', 'last_error', 'result'].map(
      (column) => `${alias}${column}`,
    ),
    ...['unique_key', 'backoff', 'locked_by', 'parent_job_id'].map((column) => `${alias}${column}`),
    ...['run_at', 'started_at', 'completed_at', 'created_at', 'updated_at', 'last_heartbeat_at', 'locked_until'].map(epochMs),
  ].join(', ');
}

/** Builds the SQL for one jobs table. Parameters are positional ($1 …). */
export function createPostgresStatements(tables: TableNames) {
  const jobs = quoteIdentifier(tables.jobs);
  const fanOuts = quoteIdentifier(tables.fanOuts);
  const checkpoints = quoteIdentifier(tables.checkpoints);
  const pausedQueues = quoteIdentifier(tables.pausedQueues);

  /** $1 queue filter value, $2 limit, $3 worker id, $4 lock milliseconds. */
  const claimStatement = (queueFilter: string) => `
      WITH next AS MATERIALIZED (
        SELECT id FROM ${jobs}
        WHERE ${RUNNABLE} AND ${queueFilter} AND run_at <= ${NOW}
          AND queue NOT IN (SELECT queue FROM ${pausedQueues})
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
      RETURNING ${claimedColumns('j.')}`;

  return Object.freeze({
    /**
     * Inserts a batch with a fixed number of array parameters, however many rows it has, and
     * sends one NOTIFY for the whole statement naming the queues it filled. PostgreSQL
     * delivers the notification at commit, so a listener never wakes for an uncommitted job.
     * Differs from SQLite, which takes one JSON array. WITH ORDINALITY and ORDER BY keep the
     * input order, so `seq` follows it and the first of two jobs with one key wins.
     */
    insertJobs: `
      WITH inserted AS (
      INSERT INTO ${jobs} (id, type, queue, args, priority, status, attempt, max_retries,
                           unique_key, backoff, run_at, created_at, updated_at,
                           parent_job_id, fan_out_id, fan_out_index)
      SELECT i.id, i.type, i.queue, i.args, i.priority, 'pending', 0, i.max_retries,
             i.unique_key, i.backoff, COALESCE(i.run_at, ${NOW} + ${milliseconds('i.delay_ms')}), ${NOW}, ${NOW},
             i.parent_job_id, i.fan_out_id, i.fan_out_index
      FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::text[], $5::integer[], $6::integer[],
                  $7::varchar[], $8::text[], $9::timestamptz[], $10::float8[],
                  $11::uuid[], $12::uuid[], $13::integer[])
           WITH ORDINALITY AS i(id, type, queue, args, priority, max_retries,
                                unique_key, backoff, run_at, delay_ms,
                                parent_job_id, fan_out_id, fan_out_index, position)
      ORDER BY i.position
      ON CONFLICT (unique_key) WHERE ${LIVE_UNIQUE_KEY} DO NOTHING
      RETURNING id, queue
      ),
      notified AS (
        SELECT ${notifyEnqueued(tables, "string_agg(DISTINCT queue, ',')")} AS sent
        FROM inserted
        HAVING count(*) > 0
      )
      SELECT inserted.id, notified.sent FROM inserted LEFT JOIN notified ON true`,

    /**
     * Inserts one job that is due now already claimed by a worker of this process, so that it
     * starts without a claim round trip: status running, attempt 1, locked by $9 for $10
     * milliseconds. When the queue is paused the job is inserted pending instead, like any
     * other. $1 id, $2 type, $3 queue, $4 args, $5 priority, $6 max retries, $7 unique key,
     * $8 backoff. Sends no NOTIFY: no other worker needs to wake for a job that is taken.
     */
    insertClaimed: `
      INSERT INTO ${jobs} (id, type, queue, args, priority, status, attempt, max_retries,
                           unique_key, backoff, run_at, created_at, updated_at,
                           locked_by, locked_until, started_at, last_heartbeat_at)
      SELECT $1::uuid, $2::varchar, $3::varchar, $4::text, $5::integer,
             CASE WHEN paused.queue IS NULL THEN 'running' ELSE 'pending' END,
             CASE WHEN paused.queue IS NULL THEN 1 ELSE 0 END,
             $6::integer, $7::varchar, $8::text, ${NOW}, ${NOW}, ${NOW},
             CASE WHEN paused.queue IS NULL THEN $9::varchar END,
             CASE WHEN paused.queue IS NULL THEN ${NOW} + ${milliseconds('$10::float8')} END,
             CASE WHEN paused.queue IS NULL THEN ${NOW} END,
             CASE WHEN paused.queue IS NULL THEN ${NOW} END
      FROM (VALUES (1)) AS one
      LEFT JOIN ${pausedQueues} AS paused ON paused.queue = $3::varchar
      ON CONFLICT (unique_key) WHERE ${LIVE_UNIQUE_KEY} DO NOTHING
      RETURNING ${claimedColumns('')}`,

    /** $1: unique keys. Returns the live job holding each key. */
    findLiveHolders: `
      SELECT unique_key, id FROM ${jobs}
      WHERE unique_key = ANY($1::varchar[]) AND ${LIVE_UNIQUE_KEY}`,

    /**
     * $1 queues, $2 limit, $3 worker id, $4 lock milliseconds. Differs from SQLite: FOR UPDATE
     * SKIP LOCKED lets concurrent claims pass over each other's rows instead of waiting, and
     * MATERIALIZED stops the planner from inlining the locking subquery into the UPDATE.
     */
    claim: claimStatement('queue = ANY($1::varchar[])'),

    /**
     * The claim for a single queue, as workers make it. An equality on queue lets PostgreSQL
     * read the runnable index in claim order and stop at the limit; with ANY() it sorts every
     * runnable row of the queue first, which a backlog of a million rows makes slow.
     */
    claimOneQueue: claimStatement('queue = $1::varchar'),

    /**
     * Writes a batch of mixed outcomes, each fenced on its claim token. $1 is one JSON array of
     * { id, worker_id, attempt, kind, result, error, delay_ms }: result and error hold JSON
     * text, delay_ms the retry delay. One JSON text costs the driver far less to send than seven
     * arrays, which it escapes element by element. An unknown kind sets status to NULL, which
     * the NOT NULL constraint rejects. Rows are locked in id order, as the heartbeat locks
     * them: a heartbeat that took a job just before its run ended then waits for this write,
     * or this write for it, where two orders could deadlock.
     */
    recordOutcomes: `
      WITH o AS (
        SELECT * FROM json_to_recordset($1::json)
          AS o(id uuid, worker_id varchar, attempt integer, kind varchar, result text, error text, delay_ms float8)
      ),
      locked AS MATERIALIZED (
        SELECT j.id FROM ${jobs} AS j JOIN o ON j.id = o.id
        WHERE j.locked_by = o.worker_id AND j.attempt = o.attempt AND j.status = 'running'
        ORDER BY j.id
        FOR UPDATE OF j
      ),
      written AS (
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
        FROM o, locked
        WHERE j.id = locked.id AND j.id = o.id
        RETURNING j.id, j.status, j.fan_out_id
      )${fanOutEffects(jobs, fanOuts)}
      SELECT id FROM written`,

    /**
     * $1 worker id, $2 lock milliseconds, $3 job ids, or NULL for every job of the worker.
     * Locks the rows in id order, like recordOutcomes.
     */
    heartbeat: `
      WITH locked AS MATERIALIZED (
        SELECT id FROM ${jobs}
        WHERE locked_by = $1 AND status = 'running' AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[]))
        ORDER BY id
        FOR UPDATE
      )
      UPDATE ${jobs} AS j
      SET locked_until = ${NOW} + ${milliseconds('$2::float8')},
          last_heartbeat_at = ${NOW},
          updated_at = ${NOW}
      FROM locked
      WHERE j.id = locked.id
      RETURNING j.id`,

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
      ),
      written AS (
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
        RETURNING j.id, j.type, j.queue, j.attempt, j.max_retries, j.status, j.fan_out_id, stale.locked_by AS lost_worker
      )${fanOutEffects(jobs, fanOuts)}
      SELECT id, type, queue, attempt, max_retries, status, lost_worker FROM written`,

    /** $1 job id. */
    loadCheckpoints: `
      SELECT key, kind, name, sequence, outcome, value FROM ${checkpoints} WHERE job_id = $1`,

    /**
     * Fenced like an outcome: $1 job id, $2 worker id, $3 attempt, then $4 key, $5 kind,
     * $6 name, $7 sequence, $8 outcome, $9 value JSON. Writes nothing for a lost lock.
     */
    saveCheckpoint: `
      INSERT INTO ${checkpoints} (job_id, key, kind, name, sequence, outcome, value, created_at)
      SELECT j.id, $4, $5, $6, $7, $8, $9, ${NOW} FROM ${jobs} AS j
      WHERE j.id = $1 AND j.locked_by = $2 AND j.attempt = $3 AND j.status = 'running'
      ON CONFLICT (job_id, key) DO UPDATE
        SET kind = EXCLUDED.kind, name = EXCLUDED.name, sequence = EXCLUDED.sequence,
            outcome = EXCLUDED.outcome, value = EXCLUDED.value, created_at = EXCLUDED.created_at
      RETURNING key`,

    /**
     * Moves the parent to waiting, fenced on its claim token; the suspension does not use up
     * an attempt, because the parent runs again from the top once its fan-out is decided.
     * $1 job id, $2 worker id, $3 attempt.
     */
    suspendParent: `
      UPDATE ${jobs}
      SET status = 'waiting', attempt = attempt - 1, locked_by = NULL, locked_until = NULL, updated_at = ${NOW}
      WHERE id = $1 AND locked_by = $2 AND attempt = $3 AND status = 'running'
      RETURNING id`,

    /**
     * $1 id, $2 parent id, $3 key, $4 strategy, $5 threshold, $6 total,
     * $7 cancel on parent failure, $8 timeout milliseconds or null.
     */
    insertFanOut: `
      INSERT INTO ${fanOuts} (id, parent_job_id, key, strategy, threshold, total, cancel_on_parent_failure,
                              timeout_at, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7,
              CASE WHEN $8::float8 IS NULL THEN NULL ELSE ${NOW} + ${milliseconds('$8::float8')} END, ${NOW})`,

    /** $1 parent id, $2 key. */
    findFanOut: `SELECT * FROM ${fanOuts} WHERE parent_job_id = $1 AND key = $2`,

    /** $1 fan-out id. Sub-jobs in the order of the subs passed to fanOut. */
    fanOutResults: `
      SELECT id, fan_out_index, status, result, last_error FROM ${jobs}
      WHERE fan_out_id = $1
      ORDER BY fan_out_index`,

    /**
     * Decides fan-outs that cannot progress by themselves: those whose timeout passed, and
     * those older than $1 milliseconds whose sub-jobs were deleted (counted as failed) or
     * finished without passing through an outcome write, such as a cancellation made in
     * SQL. The recount only ever raises the tallies: a concurrent outcome that committed
     * after the recount's snapshot leaves the row ahead of it, and the row is then left
     * alone. Wakes the parents of decided fan-outs and returns every fan-out it changed.
     */
    settleStalledFanOuts: `
      WITH expired AS (
        UPDATE ${fanOuts}
        SET status = 'timed_out', decided_at = ${NOW}
        WHERE status = 'pending' AND timeout_at IS NOT NULL AND timeout_at <= ${NOW}
        RETURNING id, parent_job_id, status
      ),
      present AS (
        SELECT f.id, count(c.id) AS present,
               count(c.id) FILTER (WHERE c.status = 'completed') AS succeeded,
               count(c.id) FILTER (WHERE c.status IN ('failed', 'cancelled')) AS failed
        FROM ${fanOuts} AS f
        LEFT JOIN ${jobs} AS c ON c.fan_out_id = f.id
        WHERE f.status = 'pending' AND f.created_at < ${NOW} - ${milliseconds('$1::float8')}
          AND f.id NOT IN (SELECT id FROM expired)
        GROUP BY f.id
      ),
      repaired AS (
        UPDATE ${fanOuts} AS f
        SET succeeded = p.succeeded,
            failed = p.failed + (f.total - p.present),
            status = ${fanOutDecision('f', 'p.succeeded', 'p.failed + (f.total - p.present)')},
            decided_at = CASE WHEN ${fanOutDecision('f', 'p.succeeded', 'p.failed + (f.total - p.present)')} = 'pending'
                              THEN NULL ELSE ${NOW} END
        FROM present AS p
        WHERE f.id = p.id AND f.status = 'pending'
          AND (p.present < f.total OR p.succeeded + p.failed > f.succeeded + f.failed)
        RETURNING f.id, f.parent_job_id, f.status
      ),
      decided AS (
        SELECT id, parent_job_id, status FROM expired
        UNION ALL
        SELECT id, parent_job_id, status FROM repaired
      ),
      woken AS (
        UPDATE ${jobs}
        SET status = 'pending', run_at = ${NOW}, updated_at = ${NOW}
        WHERE id IN (SELECT parent_job_id FROM decided WHERE status <> 'pending') AND status = 'waiting'
        RETURNING id
      )
      SELECT id, parent_job_id, status FROM decided`,

    /**
     * $1 job id, $2 statuses that may be paused. A running job is paused with its attempt
     * given back and its lock cleared; its worker notices on its next lock check and aborts
     * the handler. Returns the status before, or no row when the job does not exist.
     */
    pauseJob: `
      WITH current AS (SELECT id, status, locked_by FROM ${jobs} WHERE id = $1 FOR UPDATE),
      paused AS (
        UPDATE ${jobs} AS j
        SET status = 'paused',
            paused_from = CASE WHEN c.status = 'running' THEN 'pending' ELSE c.status END,
            attempt = CASE WHEN c.status = 'running' THEN j.attempt - 1 ELSE j.attempt END,
            locked_by = NULL,
            locked_until = NULL,
            updated_at = ${NOW}
        FROM current AS c
        WHERE j.id = c.id AND c.status = ANY($2::varchar[])
        RETURNING j.id
      )
      SELECT c.status AS previous_status, c.locked_by, (SELECT count(*) FROM paused) AS changed FROM current AS c`,

    /**
     * $1 job id. Restores the status the job had before its pause. A parent paused while
     * waiting whose fan-out was decided meanwhile becomes pending, since the wake-up skipped it.
     */
    resumeJob: `
      WITH current AS (SELECT id, status FROM ${jobs} WHERE id = $1 FOR UPDATE),
      resumed AS (
        UPDATE ${jobs} AS j
        SET status = CASE
                       WHEN j.paused_from = 'waiting' AND NOT EXISTS (
                         SELECT 1 FROM ${fanOuts} AS f WHERE f.parent_job_id = j.id AND f.status = 'pending'
                       ) THEN 'pending'
                       ELSE COALESCE(j.paused_from, 'pending')
                     END,
            paused_from = NULL,
            updated_at = ${NOW}
        FROM current AS c
        WHERE j.id = c.id AND c.status = 'paused'
        RETURNING j.status
      )
      SELECT c.status AS previous_status, (SELECT status FROM resumed) AS status FROM current AS c`,

    /**
     * $1 job id. Cancels the job and every live descendant of its fan-outs, and tallies them
     * into the fan-outs they belong to, like any other finished sub-job. A job that is
     * already terminal, completed by its worker a moment earlier for example, is left as it
     * is. Returns the cancelled ids and the root's status before.
     */
    cancelJob: `
      WITH RECURSIVE tree AS (
        SELECT id FROM ${jobs} WHERE id = $1
        UNION
        SELECT c.id FROM ${jobs} AS c JOIN tree AS t ON c.parent_job_id = t.id
      ),
      current AS (SELECT status FROM ${jobs} WHERE id = $1),
      written AS (
        UPDATE ${jobs} AS j
        SET status = 'cancelled',
            completed_at = ${NOW},
            locked_by = NULL,
            locked_until = NULL,
            paused_from = NULL,
            updated_at = ${NOW},
            last_error = CASE WHEN j.id = $1 THEN to_json('Cancelled'::text)::text
                              ELSE to_json('Cancelled with its parent job ' || $1::text)::text END
        FROM tree
        WHERE j.id = tree.id AND j.status IN ${LIVE_STATUSES}
        RETURNING j.id, j.status, j.fan_out_id
      )${fanOutEffects(jobs, fanOuts)}
      SELECT (SELECT status FROM current) AS previous_status, id FROM written`,

    /** $1 job ids. Read by a worker to learn which of its running jobs were cancelled, paused or taken over. */
    lockStates: `SELECT id, status, locked_by, attempt FROM ${jobs} WHERE id = ANY($1::uuid[])`,

    /** $1 queue. Returns a row only when the queue was not paused yet. */
    pauseQueue: `
      INSERT INTO ${pausedQueues} (queue, paused_at) VALUES ($1, ${NOW})
      ON CONFLICT (queue) DO NOTHING
      RETURNING queue`,

    resumeQueue: `DELETE FROM ${pausedQueues} WHERE queue = $1 RETURNING queue`,

    pausedQueues: `SELECT queue FROM ${pausedQueues} ORDER BY queue`,

    /** $1 queue or null. */
    pausedJobs: `
      SELECT * FROM ${jobs}
      WHERE status = 'paused' AND ($1::varchar IS NULL OR queue = $1::varchar)
      ORDER BY seq`,

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
