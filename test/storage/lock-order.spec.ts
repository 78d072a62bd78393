import pg from 'pg';
import { createJobStorage, type TypeOrmJobStorage } from '../../lib/storage/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { newJob } from './storage-test-helpers.js';

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

// A heartbeat and an outcome write of one worker may cover the same jobs: the heartbeat
// takes its list just before the runs end. Both lock the rows in id order, so one waits for
// the other instead of each holding a row the other needs.
describePostgres('row lock order on postgres', () => {
  let database: TestDatabase;
  let storage: TypeOrmJobStorage;
  let blocker: pg.Client;
  let observer: pg.Client;

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    storage = await createJobStorage({ connection: database.connection });
    blocker = new pg.Client({ connectionString: database.location });
    observer = new pg.Client({ connectionString: database.location });
    await blocker.connect();
    await observer.connect();
  });

  afterEach(async () => {
    await blocker.end();
    await observer.end();
    await storage.close();
    await database.drop();
  });

  /** Resolves once `count` sessions of the test database wait for a row lock. */
  async function lockWaiters(count: number): Promise<void> {
    for (let polls = 0; polls < 500; polls += 1) {
      const { rows } = await observer.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0].waiting >= count) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`fewer than ${count} sessions waited for a row lock`);
  }

  it('finishes a heartbeat and an outcome write of the same jobs', async () => {
    const jobs = [newJob('locks'), newJob('locks')];
    await storage.enqueue(jobs);
    const claimed = await storage.claim({ workerId: 'worker-1', queues: ['locks'], limit: 2, lockMs: 60_000 });
    const [low, high] = claimed.map((job) => job.id).sort();

    // Another session locks the lower row, so both statements queue behind it.
    await blocker.query('BEGIN');
    await blocker.query(`SELECT id FROM durable_jobs WHERE id = $1 FOR UPDATE`, [low]);
    const heartbeat = storage.heartbeat('worker-1', 60_000, [low, high]);
    await lockWaiters(1);
    // The higher id first: a write that locked rows in this order would hold the higher row
    // while the heartbeat, next in line for the lower one, waited for it.
    const outcomes = storage.recordOutcomes(
      [high, low].map((id) => ({ id, workerId: 'worker-1', attempt: 1, kind: 'completed' as const, resultJson: 'null' })),
    );
    await lockWaiters(2);
    await blocker.query('COMMIT');

    expect((await heartbeat).sort()).toEqual([low, high]);
    expect((await outcomes).sort()).toEqual([low, high]);
  });
});
