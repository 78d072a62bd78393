import { StorageClosedError } from '../../lib/index.js';
import { createJobStorage } from '../../lib/storage/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { createTestApp } from '../support/test-app.js';
import { newJob } from './storage-test-helpers.js';

describe.each(testDialects())('closed storage on %s', (dialect) => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
  });

  afterEach(async () => {
    await database.drop();
  });

  it('rejects calls after close with a clear error', async () => {
    const storage = await createJobStorage({ connection: database.connection });
    await storage.close();

    const attempt = storage.enqueue([newJob('closed')]);
    await expect(attempt).rejects.toBeInstanceOf(StorageClosedError);
    await expect(attempt).rejects.toThrow(/job storage is closed: a call reached it after close\(\) and did not run \(storage operation insertJobs\)\. .*before app\.close\(\)/);
    await expect(storage.getJob(newJob('closed').id)).rejects.toBeInstanceOf(StorageClosedError);
    // Closing twice is harmless.
    await expect(storage.close()).resolves.toBeUndefined();
  });

  it('rejects an enqueue after the application closed', async () => {
    const harness = await createTestApp(dialect, { options: { workers: [] } });
    harness.queue.register('late', () => 'never');
    await harness.close();

    await expect(harness.queue.enqueue('late', {})).rejects.toBeInstanceOf(StorageClosedError);
  });
});
