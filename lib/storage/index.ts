export * from './job-storage.interface.js';
export * from './schedule-storage.interface.js';
export * from './entities/index.js';
export {
  getDurableJobsMigrations,
  PostgresCreateJobsMigration,
  SqliteCreateJobsMigration,
  type DurableJobsMigration,
  type DurableJobsMigrationClass,
  type DurableJobsMigrationOptions,
} from './migrations/index.js';
export { runDurableJobsMigrations } from './migration-runner.js';
export { SUPPORTED_DRIVER_TYPES, type StorageDialect } from './dialects/dialect.js';
export { TypeOrmJobStorage, type TypeOrmJobStorageOptions } from './typeorm-job-storage.js';
export {
  createJobStorage,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_SQLITE_PATH,
  SQLITE_BUSY_TIMEOUT_MS,
  type BetterSqlite3ConnectionOptions,
  type JobStorageOptions,
  type PostgresConnectionOptions,
} from './job-storage.factory.js';
export { DEFAULT_TABLE_PREFIX, MAX_TABLE_PREFIX_LENGTH, resolveTableNames, type TableNames } from './table-names.js';
export { isRetryableStorageError } from './retryable-error.js';
export {
  configurePool,
  connMaxIdleTime,
  connMaxLifetime,
  defaultPoolConfig,
  highConcurrencyPoolConfig,
  lowLatencyPoolConfig,
  maxIdleConns,
  maxOpenConns,
  resourceConstrainedPoolConfig,
  type PoolConfig,
  type PoolOption,
} from './pool-config.js';
