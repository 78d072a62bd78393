import type { StorageDialect } from '../dialects/dialect.js';
import { InvalidOptionError } from '../../errors/invalid-option.error.js';
import { resolveTableNames } from '../table-names.js';
import type { DurableJobsMigration } from './durable-jobs-migration.js';
import { PostgresCreateJobsMigration } from './postgres/0001-create-jobs.js';
import { PostgresDurableExecutionMigration } from './postgres/0002-durable-execution.js';
import { PostgresSchedulesMigration } from './postgres/0003-schedules.js';
import { PostgresPauseAndCancelMigration } from './postgres/0004-pause-and-cancel.js';
import { SqliteCreateJobsMigration } from './sqlite/0001-create-jobs.js';
import { SqliteDurableExecutionMigration } from './sqlite/0002-durable-execution.js';
import { SqliteSchedulesMigration } from './sqlite/0003-schedules.js';
import { SqlitePauseAndCancelMigration } from './sqlite/0004-pause-and-cancel.js';

export type { DurableJobsMigration } from './durable-jobs-migration.js';
export { PostgresCreateJobsMigration } from './postgres/0001-create-jobs.js';
export { SqliteCreateJobsMigration } from './sqlite/0001-create-jobs.js';
export { PostgresDurableExecutionMigration } from './postgres/0002-durable-execution.js';
export { SqliteDurableExecutionMigration } from './sqlite/0002-durable-execution.js';
export { PostgresSchedulesMigration } from './postgres/0003-schedules.js';
export { SqliteSchedulesMigration } from './sqlite/0003-schedules.js';
export { PostgresPauseAndCancelMigration } from './postgres/0004-pause-and-cancel.js';
export { SqlitePauseAndCancelMigration } from './sqlite/0004-pause-and-cancel.js';

export interface DurableJobsMigrationOptions {
  dialect: StorageDialect;
  /** Default `durable_`. */
  tablePrefix?: string;
}

/** A migration class whose constructor takes no arguments, as TypeORM's `migrations` option requires. */
export type DurableJobsMigrationClass = new () => DurableJobsMigration;

/**
 * Returns the library's migration classes for one dialect, in the order they must run, each
 * bound to the table prefix. TypeORM 1.x instantiates the entries of a DataSource's
 * `migrations` option itself, with no arguments, so these are classes and not instances.
 * Teams that run migrations with TypeORM add them to that option and create the job storage
 * with `migrationsRun: false`, because the built-in runner records applied migrations in its
 * own table and would otherwise try to create the tables again.
 */
export function getDurableJobsMigrations(options: DurableJobsMigrationOptions): DurableJobsMigrationClass[] {
  const { prefix } = resolveTableNames(options.tablePrefix);
  switch (options.dialect) {
    case 'postgres':
      return [
        bindPrefix(PostgresCreateJobsMigration, prefix),
        bindPrefix(PostgresDurableExecutionMigration, prefix),
        bindPrefix(PostgresSchedulesMigration, prefix),
        bindPrefix(PostgresPauseAndCancelMigration, prefix),
      ];
    case 'sqlite':
      return [
        bindPrefix(SqliteCreateJobsMigration, prefix),
        bindPrefix(SqliteDurableExecutionMigration, prefix),
        bindPrefix(SqliteSchedulesMigration, prefix),
        bindPrefix(SqlitePauseAndCancelMigration, prefix),
      ];
  }
  throw new InvalidOptionError('dialect', options.dialect, 'must be "postgres" or "sqlite"');
}

function bindPrefix(
  migration: new (tablePrefix: string) => DurableJobsMigration,
  tablePrefix: string,
): DurableJobsMigrationClass {
  return class extends migration {
    constructor() {
      super(tablePrefix);
    }
  };
}
