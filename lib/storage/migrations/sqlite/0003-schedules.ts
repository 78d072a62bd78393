import type { QueryRunner } from 'typeorm';
import { quoteIdentifier, resolveTableNames } from '../../table-names.js';
import type { DurableJobsMigration } from '../durable-jobs-migration.js';

const NOW = "(CAST(unixepoch('subsec') * 1000 AS INTEGER))";

/**
 * Adds schedules on SQLite: the schedules table, and the columns that record which schedule
 * and which tick enqueued a job. Times are INTEGER milliseconds and booleans 0 or 1, as in 0001.
 */
export class SqliteSchedulesMigration implements DurableJobsMigration {
  readonly id = 3;
  readonly name = 'DurableJobs0003Schedules1796515200000';

  constructor(private readonly tablePrefix?: string) {}

  async up(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    const schedules = quoteIdentifier(`${prefix}schedules`);
    const jobs = quoteIdentifier(`${prefix}jobs`);
    // kind 'every' sets interval_ms; kind 'cron' sets cron_expression and timezone.
    await queryRunner.query(`
      CREATE TABLE ${schedules} (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        interval_ms INTEGER,
        cron_expression TEXT,
        timezone TEXT,
        type TEXT NOT NULL,
        queue TEXT NOT NULL,
        args TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        max_retries INTEGER NOT NULL,
        backoff TEXT,
        paused INTEGER NOT NULL DEFAULT 0,
        next_run_at INTEGER,
        last_run_at INTEGER,
        last_job_id TEXT,
        revision INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL DEFAULT ${NOW},
        updated_at INTEGER NOT NULL DEFAULT ${NOW}
      )`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}schedules_due_idx`)} ON ${schedules} (next_run_at)
      WHERE paused = 0 AND next_run_at IS NOT NULL`);
    // SQLite adds one column per ALTER TABLE statement.
    await queryRunner.query(`ALTER TABLE ${jobs} ADD COLUMN schedule_name TEXT`);
    await queryRunner.query(`ALTER TABLE ${jobs} ADD COLUMN scheduled_at INTEGER`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}jobs_schedule_idx`)} ON ${jobs} (schedule_name, scheduled_at)
      WHERE schedule_name IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    const jobs = quoteIdentifier(`${prefix}jobs`);
    await queryRunner.query(`DROP INDEX IF EXISTS ${quoteIdentifier(`${prefix}jobs_schedule_idx`)}`);
    await queryRunner.query(`ALTER TABLE ${jobs} DROP COLUMN scheduled_at`);
    await queryRunner.query(`ALTER TABLE ${jobs} DROP COLUMN schedule_name`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdentifier(`${prefix}schedules`)}`);
  }
}
