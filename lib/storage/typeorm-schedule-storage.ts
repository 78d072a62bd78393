import type { DataSource } from 'typeorm';
import { decodeJson } from '../common/json-payload.js';
import { assertInteger } from '../common/names.js';
import { DurableJobsError } from '../errors/durable-jobs.error.js';
import type { BackoffPolicy } from '../interfaces/job.interface.js';
import type { ScheduleTiming } from '../scheduling/schedule-spec.js';
import { deferMethods } from './deferred-backend.js';
import type { StorageDialect } from './dialects/dialect.js';
import { createPostgresScheduleStatements, PostgresScheduleBackend } from './dialects/postgres.schedules.js';
import type { TimestampValue } from './dialects/row-mapper.js';
import type { ScheduleBackend, ScheduleRow } from './dialects/schedule-backend.js';
import { createSqliteScheduleStatements, SqliteScheduleBackend } from './dialects/sqlite.schedules.js';
import type {
  ScheduleDefinition,
  ScheduleFiring,
  ScheduleStorage,
  ScheduleUpsertOutcome,
  StoredSchedule,
} from './schedule-storage.interface.js';
import type { StorageReadiness } from './storage-connector.js';
import type { TableNames } from './table-names.js';

/**
 * Creates the schedule storage of a TypeORM job storage, on the same driver connection. With
 * `readiness`, every call waits until the job storage has connected and migrated.
 */
export function createScheduleStorage(
  dataSource: DataSource,
  dialect: StorageDialect,
  tables: TableNames,
  readiness: StorageReadiness | null,
): ScheduleStorage {
  let backend: ScheduleBackend | undefined;
  const create = (): ScheduleBackend => {
    // Both drivers keep their native handle on these untyped fields in TypeORM 1.x.
    const driver = dataSource.driver as unknown as { master?: unknown; databaseConnection?: unknown };
    backend ??=
      dialect === 'sqlite'
        ? new SqliteScheduleBackend(driver.databaseConnection as never, createSqliteScheduleStatements(tables))
        : new PostgresScheduleBackend(driver.master as never, createPostgresScheduleStatements(tables));
    return backend;
  };
  const ready = readiness
    ? deferMethods<ScheduleBackend>(async () => {
        await readiness.waitUntilReady();
        return create();
      })
    : create();
  return new TypeOrmScheduleStorage(ready);
}

/** Validates arguments and maps rows; the dialect backends run the SQL. */
export class TypeOrmScheduleStorage implements ScheduleStorage {
  constructor(private readonly backend: ScheduleBackend) {}

  async upsert(
    definition: ScheduleDefinition,
    firstRunAt: Date | null,
  ): Promise<{ outcome: ScheduleUpsertOutcome; schedule: StoredSchedule }> {
    const row = await this.backend.upsert(definition, firstRunAt);
    if (row !== null) return { outcome: Number(row.revision) === 1 ? 'created' : 'updated', schedule: mapScheduleRow(row) };
    const stored = await this.get(definition.name);
    // Only a removeSchedule() between the two statements can get here.
    if (stored === null) throw new DurableJobsError(`Schedule "${definition.name}" was removed while it was being registered; register it again`);
    return { outcome: 'unchanged', schedule: stored };
  }

  async get(name: string): Promise<StoredSchedule | null> {
    const row = await this.backend.get(name);
    return row === null ? null : mapScheduleRow(row);
  }

  async list(): Promise<StoredSchedule[]> {
    return (await this.backend.list()).map(mapScheduleRow);
  }

  async upcoming(limit: number): Promise<StoredSchedule[]> {
    assertInteger('limit', limit, 1);
    return (await this.backend.upcoming(limit)).map(mapScheduleRow);
  }

  pause(name: string): Promise<boolean> {
    return this.backend.pause(name);
  }

  resume(name: string, nextRunAt: Date | null): Promise<boolean> {
    return this.backend.resume(name, nextRunAt);
  }

  remove(name: string): Promise<boolean> {
    return this.backend.remove(name);
  }

  fire(firing: ScheduleFiring): Promise<boolean> {
    return this.backend.fire(firing);
  }
}

function mapScheduleRow(row: ScheduleRow): StoredSchedule {
  return {
    name: row.name,
    timing: timingOf(row),
    job: {
      type: row.type,
      queue: row.queue,
      argsJson: row.args,
      priority: Number(row.priority),
      maxRetries: Number(row.max_retries),
      backoff: decodeJson<BackoffPolicy>(row.backoff),
    },
    paused: row.paused === true || row.paused === 1,
    nextRunAt: toNullableDate(row.next_run_at),
    lastRunAt: toNullableDate(row.last_run_at),
    lastJobId: row.last_job_id,
    revision: Number(row.revision),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

function timingOf(row: ScheduleRow): ScheduleTiming {
  if (row.kind === 'every' && row.interval_ms !== null) return { kind: 'every', intervalMs: Number(row.interval_ms) };
  if (row.kind === 'cron' && row.cron_expression !== null) {
    return { kind: 'cron', expression: row.cron_expression, timezone: row.timezone ?? 'UTC' };
  }
  throw new DurableJobsError(`Schedule "${row.name}" has an unknown kind "${row.kind}" in the database; remove it and register it again`);
}

function toDate(value: TimestampValue): Date {
  // SQLite stores INTEGER milliseconds; node-postgres parses timestamptz into a Date.
  return value instanceof Date ? value : new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
}

function toNullableDate(value: TimestampValue | null): Date | null {
  return value === null ? null : toDate(value);
}
