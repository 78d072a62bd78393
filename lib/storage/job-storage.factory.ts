import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { dialectOfDriverType } from './dialects/dialect.js';
import { resolveTableNames } from './table-names.js';
import { TypeOrmJobStorage } from './typeorm-job-storage.js';

export type PostgresConnectionOptions = Extract<DataSourceOptions, { type: 'postgres' }>;
export type BetterSqlite3ConnectionOptions = Extract<DataSourceOptions, { type: 'better-sqlite3' }>;

export const DEFAULT_SQLITE_PATH = './durable-jobs.sqlite';

/** Milliseconds a SQLite connection waits for another process's write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

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
}

/**
 * Creates the job storage, then connects and migrates according to the options. The storage
 * never sets `synchronize` and never adds entities to a DataSource passed in.
 */
export async function createJobStorage(options: JobStorageOptions = {}): Promise<TypeOrmJobStorage> {
  assertOneSource(options);
  // Validated before connecting, so a bad prefix creates no SQLite file and no pool.
  resolveTableNames(options.tablePrefix);
  const { dataSource, owned } = await openDataSource(options);

  let storage: TypeOrmJobStorage;
  try {
    storage = new TypeOrmJobStorage(dataSource, { tablePrefix: options.tablePrefix, ownsDataSource: owned });
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

async function openDataSource(options: JobStorageOptions): Promise<{ dataSource: DataSource; owned: boolean }> {
  if (options.dataSource) {
    dialectOfDriverType('dataSource.options.type', options.dataSource.options.type);
    if (!options.dataSource.isInitialized) await options.dataSource.initialize();
    return { dataSource: options.dataSource, owned: false };
  }

  let connection: DataSourceOptions;
  if (options.connection) {
    const dialect = dialectOfDriverType('connection.type', options.connection.type);
    connection =
      dialect === 'sqlite'
        ? withSharedFileSettings(options.connection as BetterSqlite3ConnectionOptions)
        : options.connection;
  } else {
    const database = options.sqlitePath ?? DEFAULT_SQLITE_PATH;
    if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
    connection = withSharedFileSettings({ type: 'better-sqlite3', database });
  }

  const dataSource = new DataSource(connection);
  await dataSource.initialize();
  return { dataSource, owned: true };
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
