import type BetterSqlite3 from 'better-sqlite3';
import type { ScheduleDefinition, ScheduleFiring } from '../schedule-storage.interface.js';
import { quoteIdentifier, type TableNames } from '../table-names.js';
import { encodeBackoff } from './encode-backoff.js';
import { JOB_COLUMNS, TIMING_COLUMNS, type ScheduleBackend, type ScheduleRow } from './schedule-backend.js';

/** The database clock in INTEGER milliseconds, as in the job statements. */
const NOW = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";

export type SqliteScheduleStatements = ReturnType<typeof createSqliteScheduleStatements>;

/** Builds the schedule SQL for one table prefix. Parameters are named (@name …). */
export function createSqliteScheduleStatements(tables: TableNames) {
  const schedules = quoteIdentifier(tables.schedules);
  const jobs = quoteIdentifier(tables.jobs);
  const differs = (columns: readonly string[]) => columns.map((column) => `s.${column} IS NOT excluded.${column}`).join(' OR ');

  return Object.freeze({
    /** Differs from PostgreSQL only in its parameters and in IS NOT for IS DISTINCT FROM. */
    upsert: `
      INSERT INTO ${schedules} AS s (name, kind, interval_ms, cron_expression, timezone,
                                     type, queue, args, priority, max_retries, backoff, next_run_at)
      VALUES (@name, @kind, @intervalMs, @cronExpression, @timezone,
              @type, @queue, @args, @priority, @maxRetries, @backoff, @firstRunAt)
      ON CONFLICT (name) DO UPDATE SET
        ${[...TIMING_COLUMNS, ...JOB_COLUMNS].map((column) => `${column} = excluded.${column}`).join(',\n        ')},
        next_run_at = CASE WHEN ${differs(TIMING_COLUMNS)} THEN excluded.next_run_at ELSE s.next_run_at END,
        revision = s.revision + 1,
        updated_at = ${NOW}
      WHERE ${differs([...TIMING_COLUMNS, ...JOB_COLUMNS])}
      RETURNING *`,

    get: `SELECT * FROM ${schedules} WHERE name = @name`,

    list: `SELECT * FROM ${schedules} ORDER BY name`,

    upcoming: `
      SELECT * FROM ${schedules}
      WHERE paused = 0 AND next_run_at IS NOT NULL
      ORDER BY next_run_at, name
      LIMIT @limit`,

    pause: `UPDATE ${schedules} SET paused = 1, updated_at = ${NOW} WHERE name = @name`,

    resume: `
      UPDATE ${schedules} SET paused = 0, next_run_at = @nextRunAt, updated_at = ${NOW}
      WHERE name = @name AND paused = 1`,

    remove: `DELETE FROM ${schedules} WHERE name = @name`,

    /**
     * The compare-and-set that claims a tick. It needs no row lock: it runs in an immediate
     * transaction, which holds the database's only write lock.
     */
    claimTick: `
      UPDATE ${schedules}
      SET next_run_at = @nextRunAt, last_run_at = @scheduledAt, last_job_id = @jobId, updated_at = ${NOW}
      WHERE name = @name AND revision = @revision AND next_run_at = @expectedNextRunAt AND paused = 0`,

    /** Inserts a tick's job, to run at once on the database clock. */
    insertJob: `
      INSERT INTO ${jobs} (id, type, queue, args, priority, status, attempt, max_retries, backoff,
                           run_at, created_at, updated_at, schedule_name, scheduled_at)
      VALUES (@id, @type, @queue, @args, @priority, 'pending', 0, @maxRetries, @backoff,
              ${NOW}, ${NOW}, ${NOW}, @scheduleName, @scheduledAt)`,
  });
}

type StatementName = keyof SqliteScheduleStatements;

/**
 * Runs the schedule statements on the better-sqlite3 Database of TypeORM's driver. Every write
 * is a synchronous immediate transaction, so no other connection writes between its statements
 * and it never waits on an await while it holds the lock.
 */
export class SqliteScheduleBackend implements ScheduleBackend {
  private readonly statements = new Map<StatementName, BetterSqlite3.Statement>();

  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly sql: SqliteScheduleStatements,
  ) {}

  async upsert(definition: ScheduleDefinition, firstRunAt: Date | null): Promise<ScheduleRow | null> {
    const { timing, job } = definition;
    const statement = this.prepare('upsert');
    const parameters = {
      name: definition.name,
      kind: timing.kind,
      intervalMs: timing.kind === 'every' ? timing.intervalMs : null,
      cronExpression: timing.kind === 'cron' ? timing.expression : null,
      timezone: timing.kind === 'cron' ? timing.timezone : null,
      type: job.type,
      queue: job.queue,
      args: job.argsJson,
      priority: job.priority,
      maxRetries: job.maxRetries,
      backoff: encodeBackoff(job.backoff),
      firstRunAt: firstRunAt === null ? null : firstRunAt.getTime(),
    };
    const run = this.database.transaction(() => statement.get(parameters) as ScheduleRow | undefined);
    return run.immediate() ?? null;
  }

  async get(name: string): Promise<ScheduleRow | null> {
    return (this.prepare('get').get({ name }) as ScheduleRow | undefined) ?? null;
  }

  async list(): Promise<ScheduleRow[]> {
    return this.prepare('list').all() as ScheduleRow[];
  }

  async upcoming(limit: number): Promise<ScheduleRow[]> {
    return this.prepare('upcoming').all({ limit }) as ScheduleRow[];
  }

  async pause(name: string): Promise<boolean> {
    return this.write('pause', { name }) === 1;
  }

  async resume(name: string, nextRunAt: Date | null): Promise<boolean> {
    return this.write('resume', { name, nextRunAt: nextRunAt === null ? null : nextRunAt.getTime() }) === 1;
  }

  async remove(name: string): Promise<boolean> {
    return this.write('remove', { name }) === 1;
  }

  async fire(firing: ScheduleFiring): Promise<boolean> {
    const { job } = firing;
    const claimTick = this.prepare('claimTick');
    const insertJob = this.prepare('insertJob');
    const run = this.database.transaction(() => {
      const claimed = claimTick.run({
        name: firing.name,
        revision: firing.revision,
        expectedNextRunAt: firing.expectedNextRunAt.getTime(),
        nextRunAt: firing.nextRunAt === null ? null : firing.nextRunAt.getTime(),
        scheduledAt: firing.scheduledAt.getTime(),
        jobId: firing.jobId,
      });
      if (claimed.changes !== 1) return false;
      insertJob.run({
        id: firing.jobId,
        type: job.type,
        queue: job.queue,
        args: job.argsJson,
        priority: job.priority,
        maxRetries: job.maxRetries,
        backoff: encodeBackoff(job.backoff),
        scheduleName: firing.name,
        scheduledAt: firing.scheduledAt.getTime(),
      });
      return true;
    });
    return run.immediate();
  }

  /** Runs one write statement in an immediate transaction and returns the number of rows changed. */
  private write(name: StatementName, parameters: Record<string, unknown>): number {
    const statement = this.prepare(name);
    const run = this.database.transaction(() => statement.run(parameters).changes);
    return run.immediate();
  }

  /** Prepares on first use, because the table may not exist until migrate() has run. */
  private prepare(name: StatementName): BetterSqlite3.Statement {
    let statement = this.statements.get(name);
    if (!statement) {
      statement = this.database.prepare(this.sql[name]);
      this.statements.set(name, statement);
    }
    return statement;
  }
}
