import { Logger } from '@nestjs/common';
import pg from 'pg';
import { createJobStorage, type TypeOrmJobStorage } from '../../lib/index.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { freshQueue, newJob } from './storage-test-helpers.js';

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

describePostgres('pool connection errors', () => {
  let database: TestDatabase;
  let storage: TypeOrmJobStorage;
  let admin: pg.Client;
  const logger = new CapturedLogger();

  beforeAll(async () => {
    Logger.overrideLogger(logger);
    database = await createTestDatabase('postgres');
    storage = await createJobStorage({ connection: database.connection });
    admin = new pg.Client({ connectionString: database.location });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await storage?.close();
    await database?.drop();
  });

  function poolOf(opened: TypeOrmJobStorage): pg.Pool {
    return (opened.dataSource.driver as unknown as { master: pg.Pool }).master;
  }

  async function backendPid(client: pg.PoolClient): Promise<number> {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return rows[0].pid;
  }

  it('survives a checked-out connection failing between queries', async () => {
    const client = await poolOf(storage).connect();
    await client.query('BEGIN');
    const pid = await backendPid(client);
    // Not events.once(), which rejects on the 'error' event that precedes 'end'.
    const ended = new Promise((resolve) => client.once('end', resolve));

    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await ended;

    try {
      await expect(client.query('SELECT 1')).rejects.toThrow();
    } finally {
      client.release();
    }
    const [result] = await storage.enqueue([newJob(freshQueue('after-terminate'))]);
    expect(result.inserted).toBe(true);
  });

  it('logs an idle connection that failed', async () => {
    const client = await poolOf(storage).connect();
    const pid = await backendPid(client);
    client.release();

    await admin.query('SELECT pg_terminate_backend($1)', [pid]);

    const entry = await logger.waitFor('error', /An idle PostgreSQL connection of the job storage failed and was dropped/);
    expect(entry.message).toContain('terminating connection due to administrator command');
    expect(entry.context).toBe('DurableJobsStorage');
  });
});
