import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createJobStorage,
  InvalidOptionError,
  StorageUnavailableError,
  type JobStorageOptions,
  type TypeOrmJobStorage,
} from '../../lib/index.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { createTestApp } from '../support/test-app.js';
import { newJob } from './storage-test-helpers.js';

const QUICK_RETRY = { initialBackoff: 10, maxBackoff: 50 };

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

async function rejectionOf(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('createJobStorage option checks', () => {
  it.each([
    [{ connectRetry: { maxAttempts: 0 } }, 'connectRetry.maxAttempts'],
    [{ connectRetry: { initialBackoff: 'later' } }, 'connectRetry.initialBackoff'],
    [{ readyTimeout: 'soon' }, 'readyTimeout'],
  ])('rejects %j before connecting', async (options, field) => {
    const error = await rejectionOf(createJobStorage({ sqlitePath: ':memory:', ...(options as JobStorageOptions) }));

    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).field).toBe(field);
  });
});

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

describePostgres('background connect on postgres', () => {
  async function unreachable(extra: Partial<JobStorageOptions> = {}): Promise<JobStorageOptions> {
    const port = await closedPort();
    return {
      connection: { type: 'postgres', host: '127.0.0.1', port, username: 'postgres', database: 'postgres' },
      ...extra,
    };
  }

  it('fails at once without connectRetry', async () => {
    const error = await rejectionOf(createJobStorage(await unreachable()));

    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('returns a connecting storage that rejects calls after readyTimeout', async () => {
    const storage = await createJobStorage(await unreachable({ connectRetry: QUICK_RETRY, readyTimeout: 150 }));
    try {
      expect(await storage.whenReady(AbortSignal.abort())).toBe(false);
      const started = performance.now();

      const error = await rejectionOf(storage.enqueue([newJob('background')]));

      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(error.message).toMatch(/The job database \(postgres\) is unreachable: the storage was not ready after 150ms/);
      expect(error.message).toContain('ECONNREFUSED');
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      await expect(storage.getJob('01900000-0000-7000-8000-000000000001')).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      await storage.close();
    }
    expect(await storage.whenReady()).toBe(false);
  });

  it('boots an application and shuts it down while unreachable', async () => {
    const port = await closedPort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const unreachableDatabase: TestDatabase = {
      dialect: 'postgres',
      connection: { type: 'postgres', url },
      location: url,
      drop: async () => undefined,
    };
    const logger = new CapturedLogger();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const harness = await createTestApp('postgres', {
        database: unreachableDatabase,
        logger,
        options: { connectRetry: QUICK_RETRY, readyTimeout: 100 },
      });
      const worker = harness.queue.allWorkers()[0];
      expect(worker.runningJobCount()).toBe(0);
      await expect(harness.queue.enqueue('anything', {})).rejects.toBeInstanceOf(StorageUnavailableError);

      await harness.close();

      expect(logger.matching('warn', /unreachable at start-up: .*ECONNREFUSED/)).toHaveLength(1);
      expect(logger.matching('log', new RegExp(`Worker ${worker.id} stopped`))).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('fails at boot on an error that is not retryable', async () => {
    const database = await createTestDatabase('postgres');
    try {
      const url = new URL(database.location);
      url.pathname = '/durable_jobs_missing_database';

      const error = await rejectionOf(
        createJobStorage({ connection: { type: 'postgres', url: url.toString() }, connectRetry: QUICK_RETRY }),
      );

      expect((error as { code?: string }).code).toBe('3D000');
      expect(error.message).toContain('durable_jobs_missing_database');
    } finally {
      await database.drop();
    }
  });

  it('is ready on return when the database is up', async () => {
    const database = await createTestDatabase('postgres');
    const storage = await createJobStorage({ connection: database.connection, connectRetry: QUICK_RETRY });
    try {
      expect(await storage.whenReady(AbortSignal.abort())).toBe(true);
      const [result] = await storage.enqueue([newJob('ready')]);
      expect(result.inserted).toBe(true);
    } finally {
      await storage.close();
      await database.drop();
    }
  });
});

describe('background connect on sqlite', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'durable-jobs-background-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('migrates once another connection releases its write lock', async () => {
    const file = join(directory, 'jobs.sqlite');
    const holder = new Database(file);
    holder.pragma('journal_mode = WAL');
    holder.exec('CREATE TABLE app_data (id INTEGER PRIMARY KEY)');
    holder.exec('BEGIN IMMEDIATE');
    let storage: TypeOrmJobStorage | undefined;
    try {
      // A busy timeout of 20ms makes the first migration fail with SQLITE_BUSY, which is retryable.
      storage = await createJobStorage({
        connection: { type: 'better-sqlite3', database: file, timeout: 20 },
        connectRetry: QUICK_RETRY,
      });
      expect(await storage.whenReady(AbortSignal.abort())).toBe(false);

      holder.exec('COMMIT');

      expect(await storage.whenReady()).toBe(true);
      const [result] = await storage.enqueue([newJob('after-lock')]);
      expect(result.inserted).toBe(true);
      expect(await storage.getJob(result.id)).not.toBeNull();
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
      await storage?.close();
    }
  });
});
