import pg from 'pg';
import { JobCompleted } from '../../lib/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

const describeOnPostgres = testDialects().includes('postgres') ? describe : describe.skip;

describeOnPostgres('enqueue notifications on postgres', () => {
  let database: TestDatabase;
  let workerApp: TestApp;
  let producerApp: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // A poll interval far beyond the test timeout: only a notification can wake this worker.
    workerApp = await createTestApp('postgres', { database, options: { workers: [{ ...FAST_WORKER, pollInterval: '1h' }] } });
    workerApp.queue.register('ping', () => 'pong');
    producerApp = await createTestApp('postgres', { database, options: { workers: [] } });
    events = new EventRecorder(workerApp.queue);
  });

  afterAll(async () => {
    events?.stop();
    await producerApp?.close();
    await workerApp?.close();
    await database?.drop();
  });

  it('wakes an idle worker of another process', async () => {
    // The worker's loop went idle at boot, before this job existed.
    const id = await producerApp.queue.enqueue('ping', {});
    expect((await events.waitFor(JobCompleted, id, 8_000)).result).toBe('pong');
  });

  it('sends one notification per enqueue statement', async () => {
    const listener = new pg.Client({ connectionString: database.location });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (message) => payloads.push(message.payload ?? ''));
    await listener.query('LISTEN durable_jobs');
    try {
      const ids = await producerApp.queue.enqueueMany(
        Array.from({ length: 100 }, (_, index) => ({ type: 'ping', args: {}, options: { queue: index % 2 ? 'default' : 'other' } })),
      );
      await events.waitFor(JobCompleted, ids[99], 8_000);
      // A round trip on the same connection delivers any notification sent before it.
      await listener.query('SELECT 1');
      expect(payloads).toHaveLength(1);
      expect(payloads[0].split(',').sort()).toEqual(['default', 'other']);
    } finally {
      await listener.end();
    }
  });

  it('listens again after its connection is terminated', async () => {
    const admin = new pg.Client({ connectionString: database.location });
    await admin.connect();
    try {
      const terminated = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'`,
      );
      expect(terminated.rowCount).toBeGreaterThanOrEqual(1);
    } finally {
      await admin.end();
    }
    // Enqueued while no connection may be listening: the reconnected listener wakes every queue
    // once, because notifications sent in between were missed.
    const id = await producerApp.queue.enqueue('ping', {});
    expect((await events.waitFor(JobCompleted, id, 8_000)).result).toBe('pong');
  });
});
