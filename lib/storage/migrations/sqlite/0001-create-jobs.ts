import type { QueryRunner } from 'typeorm';
import { quoteIdentifier, resolveTableNames } from '../../table-names.js';
import type { DurableJobsMigration } from '../durable-jobs-migration.js';

/**
 * Creates the jobs table and its indexes on SQLite. Timestamps are INTEGER milliseconds since
 * the epoch, and `seq` is the rowid, so claims order by insertion cheaply.
 */
export class SqliteCreateJobsMigration implements DurableJobsMigration {
  readonly id = 1;
  readonly name = 'DurableJobs0001CreateJobs1796342400000';

  constructor(private readonly tablePrefix?: string) {}

  async up(queryRunner: QueryRunner): Promise<void> {
    // Names are spelled out here, not taken from TableNames, so this migration never changes.
    const { prefix } = resolveTableNames(this.tablePrefix);
    const jobs = quoteIdentifier(`${prefix}jobs`);
    await queryRunner.query(`
      CREATE TABLE ${jobs} (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        queue TEXT NOT NULL,
        args TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        max_retries INTEGER NOT NULL,
        last_error TEXT,
        result TEXT,
        unique_key TEXT,
        backoff TEXT,
        run_at INTEGER NOT NULL,
        started_at INTEGER,
        completed_at INTEGER,
        created_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
        updated_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
        last_heartbeat_at INTEGER,
        locked_by TEXT,
        locked_until INTEGER
      )`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}jobs_runnable_idx`)} ON ${jobs} (queue, priority DESC, run_at, seq)
      WHERE status IN ('pending', 'retrying')`);
    // A unique key is held only while its job is live, so a finished job frees it.
    await queryRunner.query(`
      CREATE UNIQUE INDEX ${quoteIdentifier(`${prefix}jobs_unique_key_idx`)} ON ${jobs} (unique_key)
      WHERE unique_key IS NOT NULL AND status IN ('pending', 'running', 'retrying', 'waiting', 'paused')`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}jobs_locked_by_idx`)} ON ${jobs} (locked_by)
      WHERE status = 'running'`);
    await queryRunner.query(`
      CREATE INDEX ${quoteIdentifier(`${prefix}jobs_status_queue_idx`)} ON ${jobs} (status, queue)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { prefix } = resolveTableNames(this.tablePrefix);
    await queryRunner.query(`DROP TABLE IF EXISTS ${quoteIdentifier(`${prefix}jobs`)}`);
  }
}
