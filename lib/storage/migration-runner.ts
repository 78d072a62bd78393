import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { DataSource, QueryRunner } from 'typeorm';
import type { StorageDialect } from './dialects/dialect.js';
import { getDurableJobsMigrations, type DurableJobsMigration } from './migrations/index.js';
import { quoteIdentifier, type TableNames } from './table-names.js';

/**
 * Applies the library's missing migrations and records each one in `${prefix}migrations`,
 * a table of the library's own, so that the application's or TypeORM's migrations table is
 * never touched. Everything runs in one transaction that holds a database-wide lock, so
 * processes starting at the same time apply each migration exactly once: the second process
 * waits (on SQLite for at most the busy timeout), then finds the migrations recorded.
 */
export async function runDurableJobsMigrations(
  dataSource: DataSource,
  dialect: StorageDialect,
  tables: TableNames,
): Promise<void> {
  const migrations = getDurableJobsMigrations({ dialect, tablePrefix: tables.prefix }).map(
    (migration) => new migration(),
  );
  const run = async () => {
    const queryRunner = dataSource.createQueryRunner();
    try {
      if (dialect === 'postgres') {
        await runPostgres(queryRunner, tables, migrations);
      } else {
        await runSqlite(queryRunner, tables, migrations);
      }
    } finally {
      await queryRunner.release();
    }
  };
  const database = (dataSource.options as { database?: unknown }).database;
  // Each ':memory:' connection is a database of its own, which no other connection can lock.
  if (dialect === 'postgres' || typeof database !== 'string' || database === ':memory:') return run();
  return runOneAtATime(resolve(database), run);
}

/**
 * Tails of the SQLite migration runs in this process, keyed by database file. better-sqlite3
 * waits for a busy lock synchronously, blocking the event loop. Suppose one connection of this
 * process keeps the write lock across an await and a second connection issues BEGIN IMMEDIATE.
 * The first could then never commit, and the second would fail after the busy timeout.
 * Separate processes still exclude each other through BEGIN IMMEDIATE.
 */
const sqliteMigrationTails = new Map<string, Promise<void>>();

function runOneAtATime(key: string, work: () => Promise<void>): Promise<void> {
  const previous = sqliteMigrationTails.get(key) ?? Promise.resolve();
  const result = previous.then(work);
  const tail = result.catch(() => undefined);
  sqliteMigrationTails.set(key, tail);
  void tail.then(() => {
    if (sqliteMigrationTails.get(key) === tail) sqliteMigrationTails.delete(key);
  });
  return result;
}

async function runPostgres(queryRunner: QueryRunner, tables: TableNames, migrations: DurableJobsMigration[]) {
  await queryRunner.startTransaction();
  try {
    // PostgreSQL releases a transaction-level lock at COMMIT, ROLLBACK or disconnect, so a
    // crashed process cannot leave it held.
    await queryRunner.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(tables)]);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS ${quoteIdentifier(tables.migrations)} (
        id integer PRIMARY KEY,
        name varchar(255) NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    await applyMissing(queryRunner, tables, migrations, (id, name) => [
      `INSERT INTO ${quoteIdentifier(tables.migrations)} (id, name) VALUES ($1, $2)`,
      [id, name],
    ]);
    await queryRunner.commitTransaction();
  } catch (error) {
    await rollbackQuietly(() => queryRunner.rollbackTransaction());
    throw error;
  }
}

async function runSqlite(queryRunner: QueryRunner, tables: TableNames, migrations: DurableJobsMigration[]) {
  // BEGIN IMMEDIATE takes the write lock up front, waiting up to the busy timeout. A deferred
  // transaction would read first and then fail with SQLITE_BUSY when it tries to write while
  // another process migrates. TypeORM's startTransaction() issues a deferred BEGIN.
  // NOTE: better-sqlite3 gives TypeORM a single connection, so anything else the process runs
  // on this DataSource while the migration is open joins this transaction.
  await queryRunner.query('BEGIN IMMEDIATE');
  try {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS ${quoteIdentifier(tables.migrations)} (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
      )`);
    await applyMissing(queryRunner, tables, migrations, (id, name) => [
      `INSERT INTO ${quoteIdentifier(tables.migrations)} (id, name) VALUES (?, ?)`,
      [id, name],
    ]);
    await queryRunner.query('COMMIT');
  } catch (error) {
    await rollbackQuietly(() => queryRunner.query('ROLLBACK'));
    throw error;
  }
}

async function applyMissing(
  queryRunner: QueryRunner,
  tables: TableNames,
  migrations: DurableJobsMigration[],
  recordStatement: (id: number, name: string) => [string, unknown[]],
): Promise<void> {
  const rows: Array<{ id: number | string }> = await queryRunner.query(
    `SELECT id FROM ${quoteIdentifier(tables.migrations)}`,
  );
  const applied = new Set(rows.map((row) => Number(row.id)));
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    await migration.up(queryRunner);
    const [sql, parameters] = recordStatement(migration.id, migration.name);
    await queryRunner.query(sql, parameters);
  }
}

/**
 * Rolls back without masking the error that caused it. The rollback itself fails when the
 * connection broke or SQLite already rolled back on its own (after SQLITE_FULL, for example),
 * and in both cases the database keeps nothing of the transaction.
 */
async function rollbackQuietly(rollback: () => Promise<unknown>): Promise<void> {
  try {
    await rollback();
  } catch {
    // The original error is rethrown by the caller.
  }
}

/**
 * Derives a 64-bit advisory lock key from the migrations table name, so that storages with
 * different prefixes in one database do not wait for each other.
 */
function advisoryLockKey(tables: TableNames): string {
  const digest = createHash('sha256').update(`nestjs-durable-jobs:migrate:${tables.migrations}`).digest();
  return digest.readBigInt64BE(0).toString();
}
