import type pg from 'pg';
import type { ScheduleDefinition, ScheduleFiring } from '../schedule-storage.interface.js';
import { quoteIdentifier, type TableNames } from '../table-names.js';
import { encodeBackoff } from './encode-backoff.js';
import { notifyEnqueued } from './postgres.dialect.js';
import { ROLLBACK, withTransaction } from './pg-transaction.js';
import { JOB_COLUMNS, TIMING_COLUMNS, type ScheduleBackend, type ScheduleRow } from './schedule-backend.js';

/** The database clock cut to milliseconds, as in the job statements. */
const NOW = "date_trunc('milliseconds', now())";

export type PostgresScheduleStatements = ReturnType<typeof createPostgresScheduleStatements>;

/** Builds the schedule SQL for one table prefix. Parameters are positional ($1 …). */
export function createPostgresScheduleStatements(tables: TableNames) {
  const schedules = quoteIdentifier(tables.schedules);
  const jobs = quoteIdentifier(tables.jobs);
  const differs = (columns: readonly string[]) => columns.map((column) => `s.${column} IS DISTINCT FROM excluded.${column}`).join(' OR ');

  return Object.freeze({
    /**
     * $1 name, $2–$5 timing, $6–$11 job, $12 first run time. Concurrent inserts of one name
     * resolve through ON CONFLICT: one inserts, the others update or, when nothing differs,
     * change nothing and return no row.
     */
    upsert: `
      INSERT INTO ${schedules} AS s (name, kind, interval_ms, cron_expression, timezone,
                                     type, queue, args, priority, max_retries, backoff, next_run_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
      ON CONFLICT (name) DO UPDATE SET
        ${[...TIMING_COLUMNS, ...JOB_COLUMNS].map((column) => `${column} = excluded.${column}`).join(',\n        ')},
        next_run_at = CASE WHEN ${differs(TIMING_COLUMNS)} THEN excluded.next_run_at ELSE s.next_run_at END,
        revision = s.revision + 1,
        updated_at = ${NOW}
      WHERE ${differs([...TIMING_COLUMNS, ...JOB_COLUMNS])}
      RETURNING *`,

    get: `SELECT * FROM ${schedules} WHERE name = $1`,

    list: `SELECT * FROM ${schedules} ORDER BY name`,

    upcoming: `
      SELECT * FROM ${schedules}
      WHERE NOT paused AND next_run_at IS NOT NULL
      ORDER BY next_run_at, name
      LIMIT $1`,

    pause: `UPDATE ${schedules} SET paused = true, updated_at = ${NOW} WHERE name = $1 RETURNING name`,

    resume: `
      UPDATE ${schedules} SET paused = false, next_run_at = $2, updated_at = ${NOW}
      WHERE name = $1 AND paused
      RETURNING name`,

    remove: `DELETE FROM ${schedules} WHERE name = $1 RETURNING name`,

    /**
     * The compare-and-set that claims a tick: $1 name, $2 revision, $3 expected next run,
     * $4 new next run, $5 tick, $6 job id. Of two transactions that race, the second waits for
     * the first's row lock, then re-checks the WHERE clause against the committed row and
     * updates nothing.
     */
    claimTick: `
      UPDATE ${schedules}
      SET next_run_at = $4, last_run_at = $5, last_job_id = $6, updated_at = ${NOW}
      WHERE name = $1 AND revision = $2 AND next_run_at = $3 AND NOT paused`,

    /**
     * Inserts a tick's job, to run at once on the database clock, and wakes the workers of
     * every process like an enqueue does.
     */
    insertJob: `
      WITH inserted AS (
        INSERT INTO ${jobs} (id, type, queue, args, priority, status, attempt, max_retries, backoff,
                             run_at, created_at, updated_at, schedule_name, scheduled_at)
        VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, ${NOW}, ${NOW}, ${NOW}, $8, $9)
        RETURNING queue
      )
      SELECT ${notifyEnqueued(tables, 'queue')} FROM inserted`,
  });
}

/** Runs the schedule statements on the pg.Pool of TypeORM's driver. */
export class PostgresScheduleBackend implements ScheduleBackend {
  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: PostgresScheduleStatements,
  ) {}

  async upsert(definition: ScheduleDefinition, firstRunAt: Date | null): Promise<ScheduleRow | null> {
    const { timing, job } = definition;
    const rows = await this.query<ScheduleRow>(this.sql.upsert, [
      definition.name,
      timing.kind,
      timing.kind === 'every' ? timing.intervalMs : null,
      timing.kind === 'cron' ? timing.expression : null,
      timing.kind === 'cron' ? timing.timezone : null,
      job.type,
      job.queue,
      job.argsJson,
      job.priority,
      job.maxRetries,
      encodeBackoff(job.backoff),
      firstRunAt,
    ]);
    return rows[0] ?? null;
  }

  async get(name: string): Promise<ScheduleRow | null> {
    const rows = await this.query<ScheduleRow>(this.sql.get, [name]);
    return rows[0] ?? null;
  }

  list(): Promise<ScheduleRow[]> {
    return this.query<ScheduleRow>(this.sql.list, []);
  }

  upcoming(limit: number): Promise<ScheduleRow[]> {
    return this.query<ScheduleRow>(this.sql.upcoming, [limit]);
  }

  async pause(name: string): Promise<boolean> {
    return (await this.query(this.sql.pause, [name])).length === 1;
  }

  async resume(name: string, nextRunAt: Date | null): Promise<boolean> {
    return (await this.query(this.sql.resume, [name, nextRunAt])).length === 1;
  }

  async remove(name: string): Promise<boolean> {
    return (await this.query(this.sql.remove, [name])).length === 1;
  }

  async fire(firing: ScheduleFiring): Promise<boolean> {
    const { job } = firing;
    const fired = await withTransaction(this.pool, async (client) => {
      const claimed = await client.query(this.sql.claimTick, [
        firing.name,
        firing.revision,
        firing.expectedNextRunAt,
        firing.nextRunAt,
        firing.scheduledAt,
        firing.jobId,
      ]);
      if (claimed.rowCount !== 1) return ROLLBACK;
      await client.query(this.sql.insertJob, [
        firing.jobId,
        job.type,
        job.queue,
        job.argsJson,
        job.priority,
        job.maxRetries,
        encodeBackoff(job.backoff),
        firing.name,
        firing.scheduledAt,
      ]);
      return true;
    });
    return fired === true;
  }

  private async query<T = unknown>(sql: string, parameters: unknown[]): Promise<T[]> {
    const result = await this.pool.query(sql, parameters);
    return result.rows as T[];
  }
}
