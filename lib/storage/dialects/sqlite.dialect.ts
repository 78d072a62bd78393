import { quoteIdentifier, type TableNames } from '../table-names.js';
import { LIVE_STATUSES, LIVE_UNIQUE_KEY, RUNNABLE, fanOutDecision } from './predicates.js';

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
  const fanOuts = quoteIdentifier(tables.fanOuts);
  const checkpoints = quoteIdentifier(tables.checkpoints);
  const pausedQueues = quoteIdentifier(tables.pausedQueues);
  const index = (name: string) => quoteIdentifier(`${tables.prefix}${name}`);
  const tallied = { succeeded: 'f.succeeded + t.succeeded', failed: 'f.failed + t.failed' };

  const claimStatement = (queueFilter: string) => `
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
        WHERE ${RUNNABLE} AND ${queueFilter} AND run_at <= ${NOW}
          AND queue NOT IN (SELECT queue FROM ${pausedQueues})
        ORDER BY priority DESC, run_at, seq
        LIMIT @limit
      )
      RETURNING *`;

  // SQLite keeps no statistics on a json_each list, so where rows are looked up by a list of
  // ids, its planner may prefer the status index and then scan the list once per matching
  // row. A unary plus on the status and locked_by columns takes their indexes out of the
  // choice and leaves one id index lookup per list entry.
  return Object.freeze({
    /**
     * Inserts a batch given as one JSON array of objects. Differs from PostgreSQL, which binds
     * one array per column. `WHERE true` is required: without it SQLite parses the ON of
     * ON CONFLICT as a join constraint of the SELECT. json_each yields the array in order and
     * ORDER BY key makes that explicit, so `seq` follows the input order.
     */
    insertJobs: `
      INSERT INTO ${jobs} (id, type, queue, args, priority, status, attempt, max_retries,
                           unique_key, backoff, run_at, created_at, updated_at,
                           parent_job_id, fan_out_id, fan_out_index)
      SELECT value ->> 'id', value ->> 'type', value ->> 'queue', value ->> 'args',
             value ->> 'priority', 'pending', 0, value ->> 'maxRetries',
             value ->> 'uniqueKey', value ->> 'backoff',
             COALESCE(value ->> 'runAt', ${NOW} + (value ->> 'delayMs')), ${NOW}, ${NOW},
             value ->> 'parentJobId', value ->> 'fanOutId', value ->> 'fanOutIndex'
      FROM json_each(?)
      WHERE true
      ORDER BY key
      ON CONFLICT (unique_key) WHERE ${LIVE_UNIQUE_KEY} DO NOTHING
      RETURNING id`,

    /**
     * Inserts one job that is due now already claimed by a worker of this process, so that it
     * starts without a separate claim: status running, attempt 1, locked by @workerId for
     * @lockMs milliseconds; pending instead when its queue is paused.
     */
    insertClaimed: `
      INSERT INTO ${jobs} (id, type, queue, args, priority, status, attempt, max_retries,
                           unique_key, backoff, run_at, created_at, updated_at,
                           locked_by, locked_until, started_at, last_heartbeat_at)
      SELECT @id, @type, @queue, @args, @priority,
             CASE WHEN paused.queue IS NULL THEN 'running' ELSE 'pending' END,
             CASE WHEN paused.queue IS NULL THEN 1 ELSE 0 END,
             @maxRetries, @uniqueKey, @backoff, ${NOW}, ${NOW}, ${NOW},
             CASE WHEN paused.queue IS NULL THEN @workerId END,
             CASE WHEN paused.queue IS NULL THEN ${NOW} + @lockMs END,
             CASE WHEN paused.queue IS NULL THEN ${NOW} END,
             CASE WHEN paused.queue IS NULL THEN ${NOW} END
      FROM (SELECT 1) AS one
      LEFT JOIN ${pausedQueues} AS paused ON paused.queue = @queue
      WHERE true
      ON CONFLICT (unique_key) WHERE ${LIVE_UNIQUE_KEY} DO NOTHING
      RETURNING *`,

    /**
     * One JSON array of unique keys. Returns the live job holding each key. Without INDEXED BY,
     * SQLite, which has no statistics on a json_each list, may read every pending row instead.
     */
    findLiveHolders: `
      SELECT unique_key, id FROM ${jobs} INDEXED BY ${index('jobs_unique_key_idx')}
      WHERE unique_key IN (SELECT value FROM json_each(?)) AND ${LIVE_UNIQUE_KEY}`,

    /**
     * Differs from PostgreSQL: there is no SKIP LOCKED, and none is needed, because the
     * storage runs this in an immediate transaction that holds the database's only write lock.
     */
    claim: claimStatement('queue IN (SELECT value FROM json_each(@queues))'),

    /** The claim for a single queue, as workers make it; an equality lets SQLite use the runnable index's order. */
    claimOneQueue: claimStatement('queue = @queue'),

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
      WHERE j.id = o.id AND +j.locked_by = o.worker_id AND j.attempt = o.attempt AND +j.status = 'running'
      RETURNING id, status, fan_out_id`,

    /** @jobIds is a JSON array of ids, or NULL for every job of the worker. */
    heartbeat: `
      UPDATE ${jobs} INDEXED BY ${index('jobs_locked_by_idx')}
      SET locked_until = ${NOW} + @lockMs,
          last_heartbeat_at = ${NOW},
          updated_at = ${NOW}
      WHERE locked_by = @workerId AND status = 'running'
        AND (@jobIds IS NULL OR id IN (SELECT value FROM json_each(@jobIds)))
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
      WHERE id IN (SELECT value FROM json_each(@ids)) AND +status = 'running'
      RETURNING id, type, queue, attempt, max_retries, status, fan_out_id`,

    /**
     * Adds finished sub-jobs to their fan-outs and decides them. @tally is a JSON array of
     * { fanOutId, succeeded, failed }. Differs from PostgreSQL, where this is a CTE of the
     * outcome statement: here the backend runs it in the outcome's immediate transaction.
     */
    tallyFanOuts: `
      UPDATE ${fanOuts} AS f
      SET succeeded = ${tallied.succeeded},
          failed = ${tallied.failed},
          status = ${fanOutDecision('f', tallied.succeeded, tallied.failed)},
          decided_at = CASE WHEN ${fanOutDecision('f', tallied.succeeded, tallied.failed)} = 'pending'
                            THEN NULL ELSE ${NOW} END
      FROM (
        SELECT value ->> 'fanOutId' AS fan_out_id, value ->> 'succeeded' AS succeeded, value ->> 'failed' AS failed
        FROM json_each(@tally)
      ) AS t
      WHERE f.id = t.fan_out_id AND f.status = 'pending'
      RETURNING parent_job_id, status`,

    /** @ids JSON array of parent ids whose fan-out was decided. */
    wakeParents: `
      UPDATE ${jobs}
      SET status = 'pending', run_at = ${NOW}, updated_at = ${NOW}
      WHERE id IN (SELECT value FROM json_each(@ids)) AND +status = 'waiting'
      RETURNING id`,

    /** @parents JSON array of parent ids that failed; @written ids this transaction already wrote. */
    cancelOrphanedSubJobs: `
      UPDATE ${jobs} AS c
      SET status = 'cancelled', completed_at = ${NOW}, locked_by = NULL, locked_until = NULL, updated_at = ${NOW},
          last_error = json_quote('Cancelled because parent job ' || f.parent_job_id || ' failed')
      FROM ${fanOuts} AS f
      WHERE c.fan_out_id = f.id
        AND f.cancel_on_parent_failure
        AND f.parent_job_id IN (SELECT value FROM json_each(@parents))
        AND +c.status IN ${LIVE_STATUSES}
        AND c.id NOT IN (SELECT value FROM json_each(@written))
      RETURNING id`,

    loadCheckpoints: `
      SELECT key, kind, name, sequence, outcome, value FROM ${checkpoints} WHERE job_id = @jobId`,

    /** Fenced like an outcome: writes nothing when the worker no longer holds the job's lock. */
    saveCheckpoint: `
      INSERT INTO ${checkpoints} (job_id, key, kind, name, sequence, outcome, value, created_at)
      SELECT j.id, @key, @kind, @name, @sequence, @outcome, @value, ${NOW} FROM ${jobs} AS j
      WHERE j.id = @jobId AND j.locked_by = @workerId AND j.attempt = @attempt AND j.status = 'running'
      ON CONFLICT (job_id, key) DO UPDATE
        SET kind = excluded.kind, name = excluded.name, sequence = excluded.sequence,
            outcome = excluded.outcome, value = excluded.value, created_at = excluded.created_at
      RETURNING key`,

    /** Moves the parent to waiting without using up its attempt; fenced on its claim token. */
    suspendParent: `
      UPDATE ${jobs}
      SET status = 'waiting', attempt = attempt - 1, locked_by = NULL, locked_until = NULL, updated_at = ${NOW}
      WHERE id = @jobId AND locked_by = @workerId AND attempt = @attempt AND status = 'running'
      RETURNING id`,

    insertFanOut: `
      INSERT INTO ${fanOuts} (id, parent_job_id, key, strategy, threshold, total, cancel_on_parent_failure,
                              timeout_at, created_at)
      VALUES (@id, @parentJobId, @key, @strategy, @threshold, @total, @cancelOnParentFailure,
              CASE WHEN @timeoutMs IS NULL THEN NULL ELSE ${NOW} + @timeoutMs END, ${NOW})`,

    findFanOut: `SELECT * FROM ${fanOuts} WHERE parent_job_id = @parentJobId AND key = @key`,

    fanOutResults: `
      SELECT id, fan_out_index, status, result, last_error FROM ${jobs}
      WHERE fan_out_id = @fanOutId
      ORDER BY fan_out_index`,

    /** Fan-outs whose timeout passed. */
    expireFanOuts: `
      UPDATE ${fanOuts}
      SET status = 'timed_out', decided_at = ${NOW}
      WHERE status = 'pending' AND timeout_at IS NOT NULL AND timeout_at <= ${NOW}
      RETURNING id, parent_job_id, status`,

    /** Fan-outs older than @staleMs whose sub-jobs were deleted, which count as failed. */
    repairFanOuts: `
      UPDATE ${fanOuts} AS f
      SET succeeded = p.succeeded,
          failed = p.failed + (f.total - p.present),
          status = ${fanOutDecision('f', 'p.succeeded', 'p.failed + (f.total - p.present)')},
          decided_at = CASE WHEN ${fanOutDecision('f', 'p.succeeded', 'p.failed + (f.total - p.present)')} = 'pending'
                            THEN NULL ELSE ${NOW} END
      FROM (
        SELECT g.id, count(c.id) AS present,
               count(c.id) FILTER (WHERE c.status = 'completed') AS succeeded,
               count(c.id) FILTER (WHERE c.status IN ('failed', 'cancelled')) AS failed
        FROM ${fanOuts} AS g
        LEFT JOIN ${jobs} AS c ON c.fan_out_id = g.id
        WHERE g.status = 'pending' AND g.created_at < ${NOW} - @staleMs
        GROUP BY g.id
      ) AS p
      WHERE f.id = p.id AND f.status = 'pending'
        AND (p.present < f.total OR p.succeeded + p.failed > f.succeeded + f.failed)
      RETURNING id, parent_job_id, status`,

    /** Differs from PostgreSQL: the backend reads the status first, in the same immediate transaction. */
    jobLockState: `SELECT id, status, locked_by FROM ${jobs} WHERE id = @id`,

    /** Pauses a job whose status the backend checked; a running job gets its attempt back. */
    pauseJob: `
      UPDATE ${jobs}
      SET status = 'paused',
          paused_from = CASE WHEN status = 'running' THEN 'pending' ELSE status END,
          attempt = CASE WHEN status = 'running' THEN attempt - 1 ELSE attempt END,
          locked_by = NULL,
          locked_until = NULL,
          updated_at = ${NOW}
      WHERE id = @id`,

    /** Restores the status before the pause; see the PostgreSQL statement for the waiting case. */
    resumeJob: `
      UPDATE ${jobs}
      SET status = CASE
                     WHEN paused_from = 'waiting' AND NOT EXISTS (
                       SELECT 1 FROM ${fanOuts} AS f WHERE f.parent_job_id = ${jobs}.id AND f.status = 'pending'
                     ) THEN 'pending'
                     ELSE COALESCE(paused_from, 'pending')
                   END,
          paused_from = NULL,
          updated_at = ${NOW}
      WHERE id = @id AND status = 'paused'
      RETURNING status`,

    /** The job and every descendant of its fan-outs. */
    jobTree: `
      WITH RECURSIVE tree(id) AS (
        SELECT id FROM ${jobs} WHERE id = @id
        UNION
        SELECT c.id FROM ${jobs} AS c JOIN tree AS t ON c.parent_job_id = t.id
      )
      SELECT id FROM tree`,

    /** @ids JSON array from jobTree; @root the cancelled job. */
    cancelJobs: `
      UPDATE ${jobs}
      SET status = 'cancelled',
          completed_at = ${NOW},
          locked_by = NULL,
          locked_until = NULL,
          paused_from = NULL,
          updated_at = ${NOW},
          last_error = CASE WHEN id = @root THEN json_quote('Cancelled')
                            ELSE json_quote('Cancelled with its parent job ' || @root) END
      WHERE id IN (SELECT value FROM json_each(@ids)) AND +status IN ${LIVE_STATUSES}
      RETURNING id, status, fan_out_id`,

    /** @ids JSON array of job ids. */
    lockStates: `
      SELECT id, status, locked_by, attempt FROM ${jobs} WHERE id IN (SELECT value FROM json_each(@ids))`,

    pauseQueue: `
      INSERT INTO ${pausedQueues} (queue, paused_at) VALUES (@queue, ${NOW})
      ON CONFLICT (queue) DO NOTHING
      RETURNING queue`,

    resumeQueue: `DELETE FROM ${pausedQueues} WHERE queue = @queue RETURNING queue`,

    pausedQueues: `SELECT queue FROM ${pausedQueues} ORDER BY queue`,

    pausedJobs: `
      SELECT * FROM ${jobs}
      WHERE status = 'paused' AND (@queue IS NULL OR queue = @queue)
      ORDER BY seq`,

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
