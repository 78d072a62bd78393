import type { DataSource } from 'typeorm';
import type { BetterSqlite3DataSourceOptions } from 'typeorm/driver/better-sqlite3/BetterSqlite3DataSourceOptions.js';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import type { BackoffOptions } from '../common/backoff.js';
import type { Duration } from '../common/duration.js';
import type { RetryConfig } from '../common/retry-config.js';
import type { ScheduleClock } from '../scheduling/schedule-clock.js';
import type { WorkerOptions } from './worker-options.interface.js';

/**
 * Options of DurableJobsModule.forRoot. Storage is chosen by at most one of `dataSource`,
 * `connection` and `sqlitePath`; with none of them, jobs live in the SQLite file
 * `./durable-jobs.sqlite`.
 */
export interface DurableJobsModuleOptions {
  /** An existing, for example @nestjs/typeorm's, DataSource (PostgreSQL or better-sqlite3). It is reused and never closed by this module. */
  dataSource?: DataSource;
  /** TypeORM connection options; the module opens and closes its own DataSource. */
  connection?: PostgresDataSourceOptions | BetterSqlite3DataSourceOptions;
  /** Path of the embedded SQLite file. Default `./durable-jobs.sqlite`. */
  sqlitePath?: string;
  /** Prefix of the library's table names. Default `durable_`. */
  tablePrefix?: string;
  /** Runs the library's migrations at start-up. Default true; set false when you run them yourself. */
  migrationsRun?: boolean;
  /**
   * Backoff of the background reconnection when the database is unreachable at start-up: the
   * application boots, workers wait, and attempts continue at maxBackoff once maxAttempts
   * have failed. `false` fails the boot instead. Default: defaultRetryConfig().
   */
  connectRetry?: Partial<RetryConfig> | false;
  /** How long enqueue and other calls wait for a storage that is still connecting. Default 5s. */
  readyTimeout?: Duration;
  /**
   * PostgreSQL only: sends the library's statements as named prepared statements, parsed and
   * planned once per connection. Default true. Set false behind a pooler that does not keep
   * prepared statements, such as PgBouncer in transaction mode before version 1.21.
   */
  preparedStatements?: boolean;
  /**
   * Workers of this process. Omitted: one worker for `'default'` and every handler's queue.
   * An empty array: this process only enqueues.
   */
  workers?: WorkerOptions[];
  /** Default backoff between retries for every handler. */
  backoff?: BackoffOptions;
  /**
   * Clock that decides when schedules are due in this process. Default: the system clock.
   * Tests pass a clock of their own to move time forward instead of waiting.
   */
  scheduleClock?: ScheduleClock;
}

/** Implemented by classes passed to forRootAsync({ useClass }) or ({ useExisting }). */
export interface DurableJobsOptionsFactory {
  createDurableJobsOptions(): DurableJobsModuleOptions | Promise<DurableJobsModuleOptions>;
}
