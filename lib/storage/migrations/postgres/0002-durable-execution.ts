import type { QueryRunner } from 'typeorm';
import { quoteIdentifier, resolveTableNames } from '../../table-names.js';
import type { DurableJobsMigration } from '../durable-jobs-migration.js';

/**
 * Adds durable execution on PostgreSQL: checkpoints of calls, steps and phases, fan-outs,
 * and the columns that tie a sub-job to its fan-out.
 */
export class PostgresDurableExecutionMigration implements DurableJobsMigration {
  readonly id = 2;
  readonly name = 'DurableJobs0002DurableExecution1796428800000';

  constructor(private readonly tablePrefix?: string) {}

  async up(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    const jobs = quoteIdentifier(`${prefix}jobs`);
    await queryRunner.query(`
      ALTER TABLE ${jobs}
        ADD COLUMN parent_job_id uuid,
        ADD COLUMN fan_out_id uuid,
        ADD COLUMN fan_out_index integer`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}jobs_fan_out_idx`)} ON ${jobs} (fan_out_id, fan_out_index)
      WHERE fan_out_id IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE ${quoteIdentifier(`${prefix}checkpoints`)} (
        job_id uuid NOT NULL,
        key varchar(320) NOT NULL,
        kind varchar(16) NOT NULL,
        name varchar(255) NOT NULL,
        sequence integer,
        outcome varchar(8) NOT NULL,
        value text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, key)
      )`);
    await queryRunner.query(`
      CREATE TABLE ${quoteIdentifier(`${prefix}fan_outs`)} (
        id uuid PRIMARY KEY,
        parent_job_id uuid NOT NULL,
        key varchar(320) NOT NULL,
        strategy varchar(16) NOT NULL,
        threshold double precision,
        total integer NOT NULL,
        succeeded integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        status varchar(16) NOT NULL DEFAULT 'pending',
        cancel_on_parent_failure boolean NOT NULL DEFAULT false,
        timeout_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        UNIQUE (parent_job_id, key)
      )`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}fan_outs_pending_idx`)} ON ${quoteIdentifier(`${prefix}fan_outs`)} (created_at)
      WHERE status = 'pending'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdentifier(`${prefix}fan_outs`)}`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdentifier(`${prefix}checkpoints`)}`);
    await queryRunner.query(`DROP INDEX IF EXISTS ${quoteIdentifier(`${prefix}jobs_fan_out_idx`)}`);
    await queryRunner.query(`
      ALTER TABLE ${quoteIdentifier(`${prefix}jobs`)}
        DROP COLUMN IF EXISTS fan_out_index,
        DROP COLUMN IF EXISTS fan_out_id,
        DROP COLUMN IF EXISTS parent_job_id`);
  }
}
