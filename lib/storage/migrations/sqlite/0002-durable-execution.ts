import type { QueryRunner } from 'typeorm';
import { quoteIdentifier, resolveTableNames } from '../../table-names.js';
import type { DurableJobsMigration } from '../durable-jobs-migration.js';

const NOW = "(CAST(unixepoch('subsec') * 1000 AS INTEGER))";

/**
 * Adds durable execution on SQLite: checkpoints of calls, steps and phases, fan-outs, and
 * the columns that tie a sub-job to its fan-out. Times are INTEGER milliseconds, as in 0001.
 */
export class SqliteDurableExecutionMigration implements DurableJobsMigration {
  readonly id = 2;
  readonly name = 'DurableJobs0002DurableExecution1796428800000';

  constructor(private readonly tablePrefix?: string) {}

  async up(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    const jobs = quoteIdentifier(`${prefix}jobs`);
    // SQLite adds one column per ALTER TABLE statement.
    await queryRunner.query(`ALTER TABLE ${jobs} ADD COLUMN parent_job_id TEXT`);
    await queryRunner.query(`ALTER TABLE ${jobs} ADD COLUMN fan_out_id TEXT`);
    await queryRunner.query(`ALTER TABLE ${jobs} ADD COLUMN fan_out_index INTEGER`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}jobs_fan_out_idx`)} ON ${jobs} (fan_out_id, fan_out_index)
      WHERE fan_out_id IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE ${quoteIdentifier(`${prefix}checkpoints`)} (
        job_id TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        sequence INTEGER,
        outcome TEXT NOT NULL,
        value TEXT,
        created_at INTEGER NOT NULL DEFAULT ${NOW},
        PRIMARY KEY (job_id, key)
      )`);
    await queryRunner.query(`
      CREATE TABLE ${quoteIdentifier(`${prefix}fan_outs`)} (
        id TEXT PRIMARY KEY,
        parent_job_id TEXT NOT NULL,
        key TEXT NOT NULL,
        strategy TEXT NOT NULL,
        threshold REAL,
        total INTEGER NOT NULL,
        succeeded INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending',
        cancel_on_parent_failure INTEGER NOT NULL DEFAULT 0,
        timeout_at INTEGER,
        created_at INTEGER NOT NULL DEFAULT ${NOW},
        decided_at INTEGER,
        UNIQUE (parent_job_id, key)
      )`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}fan_outs_pending_idx`)} ON ${quoteIdentifier(`${prefix}fan_outs`)} (created_at)
      WHERE status = 'pending'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    const jobs = quoteIdentifier(`${prefix}jobs`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdentifier(`${prefix}fan_outs`)}`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdentifier(`${prefix}checkpoints`)}`);
    await queryRunner.query(`DROP INDEX IF EXISTS ${quoteIdentifier(`${prefix}jobs_fan_out_idx`)}`);
    await queryRunner.query(`ALTER TABLE ${jobs} DROP COLUMN fan_out_index`);
    await queryRunner.query(`ALTER TABLE ${jobs} DROP COLUMN fan_out_id`);
    await queryRunner.query(`ALTER TABLE ${jobs} DROP COLUMN parent_job_id`);
  }
}
