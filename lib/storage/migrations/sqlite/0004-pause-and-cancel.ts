import type { QueryRunner } from 'typeorm';
import { quoteIdentifier, resolveTableNames } from '../../table-names.js';
import type { DurableJobsMigration } from '../durable-jobs-migration.js';

/**
 * Adds pausing on SQLite: the status a paused job returns to on resume, and the table of
 * paused queues that the claim statement skips. Times are INTEGER milliseconds.
 */
export class SqlitePauseAndCancelMigration implements DurableJobsMigration {
  readonly id = 4;
  readonly name = 'DurableJobs0004PauseAndCancel1796601600000';

  constructor(private readonly tablePrefix?: string) {}

  async up(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    await queryRunner.query(`ALTER TABLE ${quoteIdentifier(`${prefix}jobs`)} ADD COLUMN paused_from TEXT`);
    await queryRunner.query(`
      CREATE TABLE ${quoteIdentifier(`${prefix}paused_queues`)} (
        queue TEXT PRIMARY KEY,
        paused_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
      )`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}jobs_parent_idx`)} ON ${quoteIdentifier(`${prefix}jobs`)} (parent_job_id)
      WHERE parent_job_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    await queryRunner.query(`DROP INDEX IF EXISTS ${quoteIdentifier(`${prefix}jobs_parent_idx`)}`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdentifier(`${prefix}paused_queues`)}`);
    await queryRunner.query(`ALTER TABLE ${quoteIdentifier(`${prefix}jobs`)} DROP COLUMN paused_from`);
  }
}
