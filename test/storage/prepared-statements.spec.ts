import { DataSource } from 'typeorm';
import { createJobStorage, type TypeOrmJobStorage } from '../../lib/storage/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { newJob } from './storage-test-helpers.js';

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

// One pooled connection, so that pg_prepared_statements, which lists the statements of the
// session that reads it, shows what the storage prepared.
describePostgres('prepared statements on postgres', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const storages: TypeOrmJobStorage[] = [];

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    dataSource = new DataSource({ type: 'postgres', url: database.location, poolSize: 1 });
    await dataSource.initialize();
  });

  afterEach(async () => {
    for (const storage of storages.splice(0)) await storage.close();
    await dataSource.destroy();
    await database.drop();
  });

  async function open(options: { tablePrefix?: string; preparedStatements?: boolean } = {}): Promise<TypeOrmJobStorage> {
    const storage = await createJobStorage({ dataSource, ...options });
    storages.push(storage);
    return storage;
  }

  /** Enqueues, claims and completes one job: the statements of a job's usual path. */
  async function runOneJob(storage: TypeOrmJobStorage): Promise<void> {
    const job = newJob('prepared');
    await storage.enqueue([job]);
    const [claimed] = await storage.claim({ workerId: 'worker-1', queues: ['prepared'], limit: 10, lockMs: 30_000 });
    expect(claimed?.id).toBe(job.id);
    const written = await storage.recordOutcomes([
      { id: job.id, workerId: 'worker-1', attempt: claimed!.attempt, kind: 'completed', resultJson: 'null' },
    ]);
    expect(written).toEqual([job.id]);
  }

  async function preparedNames(): Promise<string[]> {
    const rows: { name: string }[] = await dataSource.query('SELECT name FROM pg_prepared_statements ORDER BY name');
    return rows.map((row) => row.name);
  }

  it('prepares the statements of a job once per connection', async () => {
    const storage = await open();
    await runOneJob(storage);
    const names = await preparedNames();
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const name of names) expect(name).toMatch(/^durable_jobs_[0-9a-f]{20}$/);

    await runOneJob(storage);
    expect(await preparedNames()).toEqual(names);
  });

  it('gives storages with other table prefixes on one connection their own statements', async () => {
    const first = await open();
    const second = await open({ tablePrefix: 'other_' });
    await runOneJob(first);
    const firstNames = await preparedNames();
    await runOneJob(second);
    await runOneJob(first);

    const allNames = await preparedNames();
    expect(allNames).toEqual(expect.arrayContaining(firstNames));
    expect(allNames.length).toBeGreaterThanOrEqual(firstNames.length * 2);
  });

  it('prepares nothing when turned off', async () => {
    const storage = await open({ preparedStatements: false });
    await runOneJob(storage);
    expect(await preparedNames()).toEqual([]);
  });
});
