import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { JobCompleted, every } from '../../lib/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

const describeOnPostgres = testDialects().includes('postgres') ? describe : describe.skip;
const describeOnSqlite = testDialects().includes('sqlite') ? describe : describe.skip;
const ENQUEUE_ONCE = fileURLToPath(new URL('../fixtures/enqueue-once.mjs', import.meta.url));
const run = promisify(execFile);

describeOnPostgres('enqueue notifications on postgres', () => {
  let database: TestDatabase;
  let workerApp: TestApp;
  let producerApp: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // A poll interval far beyond the test timeout: only a notification can wake this worker.
    // Its scheduler is off, so that only the other app fires the schedule below.
    workerApp = await createTestApp('postgres', {
      database,
      options: { workers: [{ ...FAST_WORKER, pollInterval: '1h', scheduler: false }] },
    });
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

  it('wakes an idle worker for a schedule tick of another process', async () => {
    // This worker only hosts the scheduler: its queue receives no jobs.
    const host = producerApp.queue.newWorker({ ...FAST_WORKER, queues: ['scheduler-host'], scheduler: true, schedulerPollInterval: 20 });
    const hosting = host.start();
    try {
      workerApp.queue.register('tick', () => 'ticked');
      await producerApp.queue.schedule('tick-soon', every('200ms'), { type: 'tick' });
      await events.waitUntil((recorded) => recorded.some((event) => event instanceof JobCompleted && event.job.type === 'tick'), 8_000);
      const completed = events.events.find((event): event is JobCompleted => event instanceof JobCompleted && event.job.type === 'tick');
      expect(completed?.result).toBe('ticked');
    } finally {
      await producerApp.queue.removeSchedule('tick-soon');
      await host.stop();
      await hosting;
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

describeOnSqlite('commit watching on sqlite', () => {
  let database: TestDatabase;
  let workerApp: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    // A poll interval far beyond the test timeout: only the commit watcher can wake this worker.
    workerApp = await createTestApp('sqlite', { database, options: { workers: [{ ...FAST_WORKER, pollInterval: '1h' }] } });
    workerApp.queue.register('ping', () => 'pong');
    events = new EventRecorder(workerApp.queue);
  });

  afterAll(async () => {
    events?.stop();
    await workerApp?.close();
    await database?.drop();
  });

  async function enqueueFromAnotherProcess(): Promise<string> {
    const { stdout } = await run(process.execPath, [ENQUEUE_ONCE, JSON.stringify({ connection: database.connection, type: 'ping' })]);
    return stdout.trim();
  }

  it('wakes an idle worker when another process enqueues', async () => {
    const first = await enqueueFromAnotherProcess();
    expect((await events.waitFor(JobCompleted, first, 8_000)).result).toBe('pong');
    // The watcher keeps working after its own process wrote to the file.
    const second = await enqueueFromAnotherProcess();
    expect((await events.waitFor(JobCompleted, second, 8_000)).result).toBe('pong');
  });
});
