import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { DurableJobsError, isRetryableStorageError, StorageUnavailableError } from '../../lib/index.js';
import { retry } from '../../lib/common/retry.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';

const QUICK_RETRY = { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 50, backoffMultiplier: 2, jitterFraction: 0 };

/** Resolves with what `work` rejected with; fails the test when it resolves. */
async function rejectionOf(work: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await work;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** Returns a loopback port that nothing listens on: bound once, then closed. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('isRetryableStorageError by code', () => {
  it.each([
    ['08006', true],
    ['08001', true],
    ['40001', true],
    ['40P01', true],
    ['57P01', true],
    ['57P02', true],
    ['57P03', true],
    ['53300', true],
    ['23505', false],
    ['42601', false],
    ['28P01', false],
    ['3D000', false],
    ['ECONNREFUSED', true],
    ['ECONNRESET', true],
    ['EPIPE', true],
    ['ETIMEDOUT', true],
    ['EHOSTUNREACH', true],
    ['ENETUNREACH', true],
    ['EAI_AGAIN', true],
    ['ENOENT', false],
    ['SQLITE_BUSY', true],
    ['SQLITE_BUSY_SNAPSHOT', true],
    ['SQLITE_BUSY_TIMEOUT', true],
    ['SQLITE_LOCKED', true],
    ['SQLITE_LOCKED_SHAREDCACHE', true],
    ['SQLITE_BUSYNESS', false],
    ['SQLITE_CONSTRAINT_UNIQUE', false],
    ['SQLITE_READONLY', false],
  ])('code %s retryable: %s', (code, expected) => {
    expect(isRetryableStorageError(Object.assign(new Error('failed'), { code }))).toBe(expected);
  });

  it('reads better-sqlite3 SqliteError codes', () => {
    expect(isRetryableStorageError(new Database.SqliteError('snapshot changed', 'SQLITE_BUSY_SNAPSHOT'))).toBe(true);
    expect(isRetryableStorageError(new Database.SqliteError('table is locked', 'SQLITE_LOCKED'))).toBe(true);
    expect(isRetryableStorageError(new Database.SqliteError('disk is full', 'SQLITE_FULL'))).toBe(false);
  });

  it('unwraps QueryFailedError', () => {
    const wrapped = new QueryFailedError('SELECT 1', [], Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }));
    expect(isRetryableStorageError(wrapped)).toBe(true);
    const uncoded = new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly'));
    expect(isRetryableStorageError(uncoded, 'postgres')).toBe(true);
    expect(isRetryableStorageError(uncoded, 'sqlite')).toBe(false);
  });

  it('retries StorageUnavailableError', () => {
    expect(isRetryableStorageError(new StorageUnavailableError('postgres', 100, undefined))).toBe(true);
  });

  it('judges AggregateError by its errors', () => {
    const refused = () => Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    expect(isRetryableStorageError(new AggregateError([refused(), refused()]))).toBe(true);
    expect(isRetryableStorageError(new AggregateError([refused(), new TypeError('bug')]))).toBe(false);
    expect(isRetryableStorageError(new AggregateError([]))).toBe(false);
  });

  it('never retries programming errors or non-errors', () => {
    for (const dialect of [undefined, 'postgres', 'sqlite'] as const) {
      expect(isRetryableStorageError(new TypeError('x is not a function'), dialect)).toBe(false);
      expect(isRetryableStorageError(new RangeError('out of range'), dialect)).toBe(false);
      expect(isRetryableStorageError(new DurableJobsError('library error'), dialect)).toBe(false);
      expect(isRetryableStorageError('a string', dialect)).toBe(false);
      expect(isRetryableStorageError(null, dialect)).toBe(false);
      expect(isRetryableStorageError(Object.assign(new Error('numeric'), { code: 5 }), dialect)).toBe(false);
    }
  });

  it('retries an uncoded plain Error on PostgreSQL only', () => {
    const plain = new Error('anything');
    expect(isRetryableStorageError(plain, 'postgres')).toBe(true);
    expect(isRetryableStorageError(plain, 'sqlite')).toBe(false);
    expect(isRetryableStorageError(plain)).toBe(false);
  });
});

describe('isRetryableStorageError on real SQLite errors', () => {
  let directory: string;
  let file: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'durable-jobs-retryable-'));
    file = join(directory, 'busy.sqlite');
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('SQLITE_BUSY from a second connection', () => {
    const holder = new Database(file);
    const rival = new Database(file, { timeout: 0 });
    try {
      holder.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      holder.exec('BEGIN IMMEDIATE');
      let caught: (Error & { code?: string }) | undefined;
      try {
        rival.exec('BEGIN IMMEDIATE');
      } catch (error) {
        caught = error as Error & { code?: string };
      }
      // By name: the native addon keeps the SqliteError class of the first test file that loaded it.
      expect(caught?.constructor.name).toBe('SqliteError');
      expect(caught?.code).toBe('SQLITE_BUSY');
      expect(isRetryableStorageError(caught, 'sqlite')).toBe(true);
      holder.exec('ROLLBACK');
    } finally {
      rival.close();
      holder.close();
    }
  });

  it('SQLITE_BUSY through TypeORM', async () => {
    const holder = new Database(file);
    holder.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    const dataSource = new DataSource({ type: 'better-sqlite3', database: file, timeout: 0 });
    await dataSource.initialize();
    try {
      holder.exec('BEGIN IMMEDIATE');
      const error = await rejectionOf(dataSource.query('INSERT INTO t (id) VALUES (1)'));
      holder.exec('ROLLBACK');

      expect(error).toBeInstanceOf(QueryFailedError);
      expect(isRetryableStorageError(error, 'sqlite')).toBe(true);
    } finally {
      await dataSource.destroy();
      holder.close();
    }
  });

  it('constraint violation is not retryable', () => {
    const database = new Database(file);
    try {
      database.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      database.exec('INSERT INTO t (id) VALUES (1)');
      let caught: unknown;
      try {
        database.exec('INSERT INTO t (id) VALUES (1)');
      } catch (error) {
        caught = error;
      }
      expect((caught as { code?: string }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
      expect(isRetryableStorageError(caught, 'sqlite')).toBe(false);
    } finally {
      database.close();
    }
  });
});

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

describePostgres('isRetryableStorageError on real PostgreSQL errors', () => {
  let database: TestDatabase;
  const clients: pg.Client[] = [];

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: database.location });
    // A terminated client emits 'error' when no query is active; the test reads the query errors.
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const setup = await connect();
    await setup.query('CREATE TABLE t (id integer PRIMARY KEY, v integer NOT NULL)');
    await setup.query('INSERT INTO t (id, v) VALUES (1, 0), (2, 0)');
  });

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await database?.drop();
  });

  it('serialization failure from two transactions', async () => {
    const [first, second] = [await connect(), await connect()];
    await first.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await first.query('SELECT v FROM t WHERE id = 1');
    await second.query('UPDATE t SET v = v + 1 WHERE id = 1');

    const error = await rejectionOf(first.query('UPDATE t SET v = v + 10 WHERE id = 1'));
    await first.query('ROLLBACK');

    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error.code).toBe('40001');
    expect(isRetryableStorageError(error, 'postgres')).toBe(true);
  });

  it('deadlock from two transactions', async () => {
    const [first, second] = [await connect(), await connect()];
    for (const client of [first, second]) {
      await client.query("SET deadlock_timeout = '50ms'");
      await client.query('BEGIN');
    }
    await first.query('UPDATE t SET v = v + 1 WHERE id = 1');
    await second.query('UPDATE t SET v = v + 1 WHERE id = 2');

    const outcomes = await Promise.allSettled([
      first.query('UPDATE t SET v = v + 1 WHERE id = 2'),
      second.query('UPDATE t SET v = v + 1 WHERE id = 1'),
    ]);
    await first.query('ROLLBACK');
    await second.query('ROLLBACK');

    const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(failures).toHaveLength(1);
    expect(failures[0].reason.code).toBe('40P01');
    expect(isRetryableStorageError(failures[0].reason, 'postgres')).toBe(true);
  });

  it('terminated connection: 57P01 and an uncoded Error', async () => {
    const admin = await connect();
    const victim = await connect();
    const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const running = rejectionOf(victim.query('SELECT pg_sleep(30)'));
    const queued = rejectionOf(victim.query('SELECT 1'));
    await waitForBackendState(admin, rows[0].pid, 'active');

    await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);

    const activeError = await running;
    expect(activeError).toBeInstanceOf(pg.DatabaseError);
    expect(activeError.code).toBe('57P01');
    expect(isRetryableStorageError(activeError, 'postgres')).toBe(true);

    const queuedError = await queued;
    expect(Object.getPrototypeOf(queuedError)).toBe(Error.prototype);
    expect(queuedError.code).toBeUndefined();
    expect(isRetryableStorageError(queuedError, 'postgres')).toBe(true);
    expect(isRetryableStorageError(queuedError)).toBe(false);

    const laterError = await rejectionOf(victim.query('SELECT 1'));
    expect(laterError.code).toBeUndefined();
    expect(isRetryableStorageError(laterError, 'postgres')).toBe(true);
  });

  it('terminated connection through TypeORM', async () => {
    const admin = await connect();
    const dataSource = new DataSource({ type: 'postgres', url: database.location, poolSize: 1 });
    await dataSource.initialize();
    try {
      const [{ pid }] = await dataSource.query('SELECT pg_backend_pid() AS pid');
      const running = rejectionOf(dataSource.query('SELECT pg_sleep(30)'));
      await waitForBackendState(admin, pid, 'active');

      await admin.query('SELECT pg_terminate_backend($1)', [pid]);

      const error = await running;
      expect(error).toBeInstanceOf(QueryFailedError);
      expect(isRetryableStorageError(error, 'postgres')).toBe(true);
      // The pool may hand out the dying connection once more before it detects the closed socket,
      // so the next query can fail the same way; a retry gets a new connection.
      const failures: unknown[] = [];
      const rows = await retry(() => dataSource.query('SELECT 1 AS one'), QUICK_RETRY, {
        isRetryable: (failure) => isRetryableStorageError(failure, 'postgres'),
        onRetry: (failure) => failures.push(failure),
      });
      expect(rows).toEqual([{ one: 1 }]);
      expect(failures.length).toBeLessThanOrEqual(1);
    } finally {
      await dataSource.destroy();
    }
  });

  it('ECONNREFUSED from a closed loopback port', async () => {
    const port = await closedPort();
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });

    const error = await rejectionOf(client.connect());

    expect(error.code).toBe('ECONNREFUSED');
    expect(isRetryableStorageError(error, 'postgres')).toBe(true);
    expect(isRetryableStorageError(error)).toBe(true);
  });

  it('permanent errors are not retryable', async () => {
    const client = await connect();
    const syntax = await rejectionOf(client.query('SELEC 1'));
    const duplicate = await rejectionOf(client.query('INSERT INTO t (id, v) VALUES (1, 0)'));
    const url = new URL(database.location);
    url.pathname = '/durable_jobs_no_such_database';
    const missing = await rejectionOf(new pg.Client({ connectionString: url.toString() }).connect());

    expect([syntax.code, duplicate.code, missing.code]).toEqual(['42601', '23505', '3D000']);
    for (const error of [syntax, duplicate, missing]) expect(isRetryableStorageError(error, 'postgres')).toBe(false);
    let misuse: unknown;
    try {
      await client.query(null as never);
    } catch (error) {
      misuse = error;
    }
    expect(misuse).toBeInstanceOf(TypeError);
    expect(isRetryableStorageError(misuse, 'postgres')).toBe(false);
  });
});

/** Polls pg_stat_activity until the backend reaches `state`, so a terminate hits a running query. */
async function waitForBackendState(admin: pg.Client, pid: number, state: string): Promise<void> {
  for (let round = 0; round < 500; round += 1) {
    const { rows } = await admin.query('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows[0]?.state === state) return;
  }
  throw new Error(`backend ${pid} never reached state ${state}`);
}
