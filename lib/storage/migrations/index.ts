import type { StorageDialect } from '../dialects/dialect.js';
import { InvalidOptionError } from '../../errors/invalid-option.error.js';
import { resolveTableNames } from '../table-names.js';
import type { DurableJobsMigration } from './durable-jobs-migration.js';
import { PostgresCreateJobsMigration } from './postgres/0001-create-jobs.js';
import { PostgresDurableExecutionMigration } from './postgres/0002-durable-execution.js';
import { SqliteCreateJobsMigration } from './sqlite/0001-create-jobs.js';
import { SqliteDurableExecutionMigration } from './sqlite/0002-durable-execution.js';

export type { DurableJobsMigration } from './durable-jobs-migration.js';
export { PostgresCreateJobsMigration } from './postgres/0001-create-jobs.js';
export { SqliteCreateJobsMigration } from './sqlite/0001-create-jobs.js';
export { PostgresDurableExecutionMigration } from './postgres/0002-durable-execution.js';
export { SqliteDurableExecutionMigration } from './sqlite/0002-durable-execution.js';

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
      ];
    case 'sqlite':
      return [
        bindPrefix(SqliteCreateJobsMigration, prefix),
        bindPrefix(SqliteDurableExecutionMigration, prefix),
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
