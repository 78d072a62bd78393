import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { InvalidOptionError } from '../../lib/errors/invalid-option.error.js';
import {
  createJobStorage,
  DEFAULT_SQLITE_PATH,
  type JobStorageOptions,
  type TypeOrmJobStorage,
} from '../../lib/storage/index.js';
import { listTables, newJob } from './storage-test-helpers.js';

describe('createJobStorage', () => {
  let directory: string;
  const opened: TypeOrmJobStorage[] = [];

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'durable-jobs-factory-'));
  });

  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
    rmSync(directory, { recursive: true, force: true });
  });

  async function open(options: JobStorageOptions): Promise<TypeOrmJobStorage> {
    const storage = await createJobStorage(options);
    opened.push(storage);
    return storage;
  }

  it('rejects an unsupported database type', async () => {
    const connection = { type: 'mysql', host: '127.0.0.1' } as unknown as JobStorageOptions['connection'];

    const attempt = createJobStorage({ connection });

    await expect(attempt).rejects.toThrow(InvalidOptionError);
    await expect(attempt).rejects.toThrow(/"mysql".*"postgres" and "better-sqlite3"/);
  });

  it('rejects an unsupported DataSource', async () => {
    // A stand-in: a real MySQL DataSource would need the mysql2 package. Calling initialize()
    // on it would raise a TypeError instead of the expected error.
    const dataSource = { options: { type: 'mysql' }, isInitialized: false } as unknown as DataSource;

    await expect(createJobStorage({ dataSource })).rejects.toThrow(/Invalid dataSource.options.type "mysql"/);
  });

  it('rejects two connection sources', async () => {
    const attempt = createJobStorage({
      connection: { type: 'better-sqlite3', database: join(directory, 'a.sqlite') },
      sqlitePath: join(directory, 'b.sqlite'),
    });

    await expect(attempt).rejects.toThrow(/sqlitePath .*cannot be combined with connection/);
    expect(existsSync(join(directory, 'a.sqlite'))).toBe(false);
  });

  it.each([
    ['', /must not be empty/],
    ['Durable_', /lower-case letters/],
    ['jobs; drop', /lower-case letters/],
    ['1st_', /must not start with a digit/],
    ['p'.repeat(33), /maximum is 32/],
  ])('rejects table prefix %j', async (tablePrefix, message) => {
    const sqlitePath = join(directory, 'prefix.sqlite');
    const attempt = createJobStorage({ sqlitePath, tablePrefix });

    await expect(attempt).rejects.toThrow(InvalidOptionError);
    await expect(attempt).rejects.toThrow(message);
    expect(existsSync(sqlitePath)).toBe(false);
  });

  it.each(['yes', 1, null])('rejects preparedStatements %j', async (preparedStatements) => {
    const sqlitePath = join(directory, 'prepared.sqlite');
    const attempt = createJobStorage({ sqlitePath, preparedStatements: preparedStatements as never });

    await expect(attempt).rejects.toThrow(InvalidOptionError);
    await expect(attempt).rejects.toThrow(/Invalid preparedStatements .*: must be true or false/);
    expect(existsSync(sqlitePath)).toBe(false);
  });

  it.each([
    [{ type: 'postgres', url: undefined }, /Invalid connection.url undefined: is missing or empty; set it to a postgres:\/\/ URL/],
    [{ type: 'postgres', url: '' }, /Invalid connection.url "": is missing or empty/],
    [{ type: 'postgres' }, /Invalid connection "postgres": names no server; give url, or host and database/],
  ])('rejects a PostgreSQL connection without a server: %j', async (connection, message) => {
    await expect(createJobStorage({ connection: connection as never })).rejects.toThrow(message);
  });

  it('creates the SQLite parent directory', async () => {
    const sqlitePath = join(directory, 'nested', 'deeper', 'jobs.sqlite');

    const storage = await open({ sqlitePath });

    expect(existsSync(sqlitePath)).toBe(true);
    expect(await listTables(storage.dataSource, 'sqlite')).toContain('durable_jobs');
  });

  it('defaults to ./durable-jobs.sqlite', async () => {
    const previous = process.cwd();
    process.chdir(directory);
    try {
      const storage = await open({});
      expect(storage.dialect).toBe('sqlite');
      expect(existsSync(join(directory, DEFAULT_SQLITE_PATH))).toBe(true);
    } finally {
      process.chdir(previous);
    }
  });

  it('configures SQLite for several processes', async () => {
    const storage = await open({ sqlitePath: join(directory, 'shared.sqlite') });
    const pragma = async (name: string) => Object.values((await storage.dataSource.query(`PRAGMA ${name}`))[0])[0];

    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('busy_timeout')).toBe(5000);
    // 1 is NORMAL.
    expect(await pragma('synchronous')).toBe(1);
  });

  it('keeps a caller timeout and hook', async () => {
    let hookRan = false;
    const storage = await open({
      connection: {
        type: 'better-sqlite3',
        database: join(directory, 'hook.sqlite'),
        timeout: 1234,
        prepareDatabase: () => {
          hookRan = true;
        },
      },
    });

    expect(hookRan).toBe(true);
    expect(Object.values((await storage.dataSource.query('PRAGMA busy_timeout'))[0])[0]).toBe(1234);
  });

  it('skips migrations when told', async () => {
    const storage = await open({ sqlitePath: join(directory, 'bare.sqlite'), migrationsRun: false });

    expect(await listTables(storage.dataSource, 'sqlite')).not.toContain('durable_jobs');
    await storage.migrate();
    expect(await listTables(storage.dataSource, 'sqlite')).toContain('durable_jobs');
  });

  it('reuses a caller DataSource', async () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', database: join(directory, 'app.sqlite') });

    const storage = await createJobStorage({ dataSource });
    const job = newJob('reused');
    await storage.enqueue([job]);
    await storage.close();

    expect(storage.dataSource).toBe(dataSource);
    expect(dataSource.isInitialized).toBe(true);
    expect(dataSource.entityMetadatas).toEqual([]);
    const rows = await dataSource.query('SELECT id FROM durable_jobs');
    expect(rows).toEqual([{ id: job.id }]);
    await dataSource.destroy();
  });

  it('destroys a DataSource it created', async () => {
    const storage = await createJobStorage({ sqlitePath: join(directory, 'owned.sqlite') });

    await storage.close();
    await storage.close();

    expect(storage.dataSource.isInitialized).toBe(false);
  });
});
