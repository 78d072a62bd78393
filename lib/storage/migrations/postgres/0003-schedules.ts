import type { QueryRunner } from 'typeorm';
import { quoteIdentifier, resolveTableNames } from '../../table-names.js';
import type { DurableJobsMigration } from '../durable-jobs-migration.js';

/**
 * Adds schedules on PostgreSQL: the schedules table, and the columns that record which
 * schedule and which tick enqueued a job.
 */
export class PostgresSchedulesMigration implements DurableJobsMigration {
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
        name varchar(255) PRIMARY KEY,
        kind varchar(16) NOT NULL,
        interval_ms bigint,
        cron_expression varchar(255),
        timezone varchar(64),
        type varchar(255) NOT NULL,
        queue varchar(255) NOT NULL,
        args text NOT NULL,
        priority integer NOT NULL DEFAULT 0,
        max_retries integer NOT NULL,
        backoff text,
        paused boolean NOT NULL DEFAULT false,
        next_run_at timestamptz,
        last_run_at timestamptz,
        last_job_id uuid,
        revision integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}schedules_due_idx`)} ON ${schedules} (next_run_at)
      WHERE NOT paused AND next_run_at IS NOT NULL`);
    await queryRunner.query(`
      ALTER TABLE ${jobs}
        ADD COLUMN schedule_name varchar(255),
        ADD COLUMN scheduled_at timestamptz`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}jobs_schedule_idx`)} ON ${jobs} (schedule_name, scheduled_at)
      WHERE schedule_name IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    await queryRunner.query(`DROP INDEX IF EXISTS ${quoteIdentifier(`${prefix}jobs_schedule_idx`)}`);
    await queryRunner.query(`
      ALTER TABLE ${quoteIdentifier(`${prefix}jobs`)}
        DROP COLUMN IF EXISTS scheduled_at,
        DROP COLUMN IF EXISTS schedule_name`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdentifier(`${prefix}schedules`)}`);
  }
}
