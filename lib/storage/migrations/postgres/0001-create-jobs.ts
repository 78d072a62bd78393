import type { QueryRunner } from 'typeorm';
import { quoteIdentifier, resolveTableNames } from '../../table-names.js';
import type { DurableJobsMigration } from '../durable-jobs-migration.js';

/**
 * Creates the jobs table and its indexes on PostgreSQL. Payload columns are text holding
 * JSON, because jsonb rejects the escape \u0000 and reorders object keys.
 */
export class PostgresCreateJobsMigration implements DurableJobsMigration {
  readonly id = 1;
  readonly name = 'DurableJobs0001CreateJobs1796342400000';

  constructor(private readonly tablePrefix?: string) {}

  async up(queryRunner: QueryRunner): Promise<void> {
    // Names are spelled out here, not taken from TableNames, so this migration never changes.
    const { prefix } = resolveTableNames(this.tablePrefix);
    const jobs = quoteIdentifier(`${prefix}jobs`);
    await queryRunner.query(`
      CREATE TABLE ${jobs} (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        type varchar(255) NOT NULL,
        queue varchar(255) NOT NULL,
        args text NOT NULL,
        priority integer NOT NULL DEFAULT 0,
        status varchar(16) NOT NULL,
        attempt integer NOT NULL DEFAULT 0,
        max_retries integer NOT NULL,
        last_error text,
        result text,
        unique_key varchar(255),
        backoff text,
        run_at timestamptz NOT NULL,
        started_at timestamptz,
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_heartbeat_at timestamptz,
        locked_by varchar(255),
        locked_until timestamptz
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
