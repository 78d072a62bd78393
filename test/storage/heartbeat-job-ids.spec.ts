import { createJobStorage, type TypeOrmJobStorage } from '../../lib/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { freshQueue, newJob } from './storage-test-helpers.js';

describe.each(testDialects())('heartbeat with job ids on %s', (dialect) => {
  let database: TestDatabase;
  let storage: TypeOrmJobStorage;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    storage = await createJobStorage({ connection: database.connection });
  });

  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });

  it('extends only the listed jobs', async () => {
    const queue = freshQueue('beat-ids');
    await storage.enqueue([newJob(queue), newJob(queue), newJob(queue)]);
    const [kept, dropped, other] = await storage.claim({ workerId: 'worker-ids', queues: [queue], limit: 3, lockMs: 1_000 });

    const held = await storage.heartbeat('worker-ids', 600_000, [kept.id, other.id]);

    expect(held.sort()).toEqual([kept.id, other.id].sort());
    expect((await storage.getJob(kept.id))?.lockedUntil?.getTime()).toBeGreaterThan(kept.lockedUntil!.getTime());
    expect((await storage.getJob(dropped.id))?.lockedUntil).toEqual(dropped.lockedUntil);
  });

  it('ignores listed jobs of another worker', async () => {
    const queue = freshQueue('beat-foreign');
    await storage.enqueue([newJob(queue)]);
    const [theirs] = await storage.claim({ workerId: 'worker-theirs', queues: [queue], limit: 1, lockMs: 1_000 });

    expect(await storage.heartbeat('worker-mine', 600_000, [theirs.id])).toEqual([]);
    expect(await storage.heartbeat('worker-mine', 600_000, [])).toEqual([]);
    expect((await storage.getJob(theirs.id))?.lockedUntil).toEqual(theirs.lockedUntil);
  });
});
