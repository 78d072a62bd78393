import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { parseDuration, type Duration } from '../common/duration.js';
import { resolveRetryConfig, type RetryConfig } from '../common/retry-config.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { dialectOfDriverType } from './dialects/dialect.js';
import { StorageConnector, type StorageConnectorOptions } from './storage-connector.js';
import { resolveTableNames } from './table-names.js';
import { TypeOrmJobStorage, type TypeOrmJobStorageOptions } from './typeorm-job-storage.js';

const logger = new Logger('DurableJobsStorage');

export type PostgresConnectionOptions = Extract<DataSourceOptions, { type: 'postgres' }>;
export type BetterSqlite3ConnectionOptions = Extract<DataSourceOptions, { type: 'better-sqlite3' }>;

export const DEFAULT_SQLITE_PATH = './durable-jobs.sqlite';

/** Milliseconds a SQLite connection waits for another process's write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * Milliseconds that a call on a storage still connecting in the background, such as an
 * enqueue, waits before it rejects with StorageUnavailableError. Long enough to ride out a
 * database restart, short enough for an HTTP request that enqueues to respond in time.
 */
export const DEFAULT_READY_TIMEOUT_MS = 5_000;

/** Options of createJobStorage. Give at most one of dataSource, connection and sqlitePath. */
export interface JobStorageOptions {
  /** An application DataSource to reuse. The storage initialises it if needed and never destroys it. */
  dataSource?: DataSource;
  /** Options for a DataSource the storage creates, owns and destroys on close. */
  connection?: PostgresConnectionOptions | BetterSqlite3ConnectionOptions;
  /** File of an embedded SQLite database. Used when nothing else is given. Default `./durable-jobs.sqlite`. */
  sqlitePath?: string;
  /** Prefix of the library's table names. Default `durable_`. */
  tablePrefix?: string;
  /** Whether to apply missing migrations before returning. Default true. */
  migrationsRun?: boolean;
  /**
   * Keeps the storage usable while the database is down. When set, a first connection or
   * migration attempt that fails with a retryable error (see isRetryableStorageError) does
   * not reject. The storage is returned and keeps trying in the background with this backoff,
   * which stays at maxBackoff once maxAttempts attempts have failed. Default: unset, so any
   * failure rejects.
   */
  connectRetry?: Partial<RetryConfig>;
  /** How long a call waits for a storage that is still connecting. Default 5s. */
  readyTimeout?: Duration;
  /**
   * PostgreSQL only: sends the library's statements as named prepared statements, parsed and
   * planned once per connection. Default true. Set false behind a pooler that does not keep
   * prepared statements, such as PgBouncer in transaction mode before version 1.21.
   */
  preparedStatements?: boolean;
}

/**
 * Creates the job storage, then connects and migrates according to the options. The storage
 * never sets `synchronize` and never adds entities to a DataSource passed in. Invalid
 * options always reject; with `connectRetry`, an unreachable database does not.
 */
export async function createJobStorage(options: JobStorageOptions = {}): Promise<TypeOrmJobStorage> {
  assertOneSource(options);
  if (options.preparedStatements !== undefined && typeof options.preparedStatements !== 'boolean') {
    throw new InvalidOptionError('preparedStatements', options.preparedStatements, 'must be true or false');
  }
  // Validated before connecting, so a bad prefix creates no SQLite file and no pool.
  resolveTableNames(options.tablePrefix);
  const readyTimeoutMs = parseDuration(options.readyTimeout ?? DEFAULT_READY_TIMEOUT_MS, 'readyTimeout');
  if (options.connectRetry !== undefined) {
    const retry = resolveRetryConfig(options.connectRetry, 'connectRetry');
    return openInBackground(options, { retry, readyTimeoutMs });
  }

  const { dataSource, owned } = prepareDataSource(options);
  // A DataSource passed in may already be initialised, for example by TypeOrmModule.
  if (!dataSource.isInitialized) await initializeDataSource(dataSource);

  let storage: TypeOrmJobStorage;
  try {
    storage = new TypeOrmJobStorage(dataSource, { ...storageOptionsOf(options), ownsDataSource: owned });
  } catch (error) {
    if (owned) await dataSource.destroy();
    throw error;
  }
  if (options.migrationsRun !== false) {
    try {
      await storage.migrate();
    } catch (error) {
      await storage.close();
      throw error;
    }
  }
  return storage;
}

function storageOptionsOf(options: JobStorageOptions): Pick<TypeOrmJobStorageOptions, 'tablePrefix' | 'preparedStatements'> {
  return { tablePrefix: options.tablePrefix, preparedStatements: options.preparedStatements };
}

function assertOneSource(options: JobStorageOptions): void {
  const given = (['dataSource', 'connection', 'sqlitePath'] as const).filter((name) => options[name] !== undefined);
  if (given.length > 1) {
    throw new InvalidOptionError(
      given[1],
      options[given[1]],
      `cannot be combined with ${given[0]}; pass only one of dataSource, connection and sqlitePath`,
    );
  }
}

/**
 * Returns a storage whose first connection attempt has ended. When that attempt failed with
 * a retryable error, the storage keeps connecting in the background and its calls wait.
 */
async function openInBackground(
  options: JobStorageOptions,
  settings: Omit<StorageConnectorOptions, 'dialect'>,
): Promise<TypeOrmJobStorage> {
  const { dataSource, owned } = prepareDataSource(options);
  const migrationsRun = options.migrationsRun !== false;
  let storage: TypeOrmJobStorage;
  const connector = new StorageConnector(
    async () => {
      if (!dataSource.isInitialized) await initializeDataSource(dataSource);
      if (migrationsRun) await storage.migrate();
    },
    { ...settings, dialect: dialectOfDriverType('type', dataSource.options.type) },
  );
  storage = new TypeOrmJobStorage(dataSource, { ...storageOptionsOf(options), ownsDataSource: owned, readiness: connector });
  try {
    await connector.start();
  } catch (error) {
    await storage.close();
    throw error;
  }
  return storage;
}

/**
 * Initialises a DataSource. TypeORM 1.1.3 keeps the pg.Pool when a query inside its driver's
 * connect() fails after the pool connected, so the pool is ended here before another
 * attempt creates a new one.
 */
async function initializeDataSource(dataSource: DataSource): Promise<void> {
  try {
    await dataSource.initialize();
  } catch (error) {
    const driver = dataSource.driver as unknown as { master?: unknown; disconnect(): Promise<void> };
    if (!dataSource.isInitialized && driver.master) await driver.disconnect().catch(() => undefined);
    throw error;
  }
}

/** Validates the connection options and builds the DataSource, without connecting. */
function prepareDataSource(options: JobStorageOptions): { dataSource: DataSource; owned: boolean } {
  if (options.dataSource) {
    dialectOfDriverType('dataSource.options.type', options.dataSource.options.type);
    return { dataSource: options.dataSource, owned: false };
  }

  let connection: DataSourceOptions;
  if (options.connection) {
    const dialect = dialectOfDriverType('connection.type', options.connection.type);
    if (dialect === 'postgres') assertPostgresTarget(options.connection as PostgresConnectionOptions);
    connection =
      dialect === 'sqlite'
        ? withSharedFileSettings(options.connection as BetterSqlite3ConnectionOptions)
        : options.connection;
    logger.log(`Storing jobs in ${describeConnection(connection)}`);
  } else {
    const database = options.sqlitePath ?? DEFAULT_SQLITE_PATH;
    if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
    connection = withSharedFileSettings({ type: 'better-sqlite3', database });
    logger.log(`Storing jobs in the SQLite file ${database === ':memory:' ? database : resolve(database)}`);
  }

  return { dataSource: new DataSource(connection), owned: true };
}

/**
 * Lets several processes on one host share the SQLite file. WAL lets readers run beside the
 * writer, and the busy timeout makes a writer wait for the lock instead of failing at once.
 * With WAL, synchronous=NORMAL cannot corrupt the file, though a power loss may roll back the
 * last commits, and it saves an fsync per commit. A timeout or pragma the caller gave wins.
 */
function withSharedFileSettings(connection: BetterSqlite3ConnectionOptions): BetterSqlite3ConnectionOptions {
  const callerPrepare = connection.prepareDatabase;
  return {
    ...connection,
    // better-sqlite3 sets SQLite's busy timeout from this option.
    timeout: connection.timeout ?? SQLITE_BUSY_TIMEOUT_MS,
    enableWAL: true,
    prepareDatabase: async (database: { pragma(source: string): unknown }) => {
      database.pragma('synchronous = NORMAL');
      if (callerPrepare) await callerPrepare(database);
    },
  };
}

/**
 * Rejects PostgreSQL options that name no server, typically `url: process.env.DATABASE_URL`
 * with the variable unset: pg would otherwise connect to its own defaults, a database the application never named.
 */
function assertPostgresTarget(connection: PostgresConnectionOptions): void {
  const named = connection as { url?: unknown; host?: unknown; database?: unknown };
  const hasUrl = typeof named.url === 'string' && named.url.trim() !== '';
  if ('url' in named && !hasUrl) {
    throw new InvalidOptionError(
      'connection.url',
      named.url,
      'is missing or empty; set it to a postgres:// URL (for example from DATABASE_URL) or give host and database instead',
    );
  }
  if (!hasUrl && named.host === undefined && named.database === undefined) {
    throw new InvalidOptionError('connection', 'postgres', 'names no server; give url, or host and database');
  }
}

/** Names where jobs are stored, without credentials, for the start-up log line. */
function describeConnection(connection: DataSourceOptions): string {
  if (connection.type === 'better-sqlite3') return `the SQLite file ${resolve(String(connection.database))}`;
  const postgres = connection as { url?: string; host?: string; port?: number; database?: string };
  if (postgres.url) {
    try {
      const url = new URL(postgres.url);
      return `PostgreSQL at ${url.host}${url.pathname}`;
    } catch {
      return 'PostgreSQL (the connection URL could not be parsed for this message)';
    }
  }
  return `PostgreSQL at ${postgres.host ?? 'localhost'}:${postgres.port ?? 5432}/${postgres.database ?? ''}`;
}
