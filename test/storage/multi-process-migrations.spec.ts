import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createJobStorage, getDurableJobsMigrations, type TypeOrmJobStorage } from '../../lib/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';

const run = promisify(execFile);
const MIGRATE_SCRIPT = fileURLToPath(new URL('../fixtures/migrate.mjs', import.meta.url));
const PROCESSES = 4;

describe.each(testDialects())('migrations from several processes on %s', (dialect) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('apply once when processes start together', async () => {
    const options = JSON.stringify({ connection: database.connection, tablePrefix: 'multi_' });
    const children = Array.from({ length: PROCESSES }, () =>
      run(process.execPath, [MIGRATE_SCRIPT, options], { timeout: 60_000 }),
    );
    const outcomes = await Promise.allSettled(children);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(PROCESSES).fill('fulfilled'));

    const storage = (await createJobStorage({ connection: database.connection, tablePrefix: 'multi_', migrationsRun: false })) as TypeOrmJobStorage;
    try {
      const rows: Array<{ id: number | string }> = await storage.dataSource.query('SELECT id FROM multi_migrations ORDER BY id');
      const expected = getDurableJobsMigrations({ dialect }).map((Migration) => new Migration().id);
      expect(rows.map((row) => Number(row.id))).toEqual(expected);
    } finally {
      await storage.close();
    }
  });
});
