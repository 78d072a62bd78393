import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import {
  DuplicateJobError,
  InvalidOptionError,
  JobCompleted,
  JobStarted,
  JobStatus,
  TypeOrmJobStorage,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

describe.each(testDialects())('enqueue on %s', (dialect) => {
  let harness: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    harness = await createTestApp(dialect, { options: { workers: [] } });
    events = new EventRecorder(harness.queue);
  });

  afterAll(async () => {
    events?.stop();
    await harness?.close();
  });

  async function jobCount(): Promise<number> {
    const counts = await harness.queue.storage.countByStatus();
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  it('rejects a held unique key with the live job id', async () => {
    const first = await harness.queue.enqueue('unique-a', {}, { unique: 'invoice-1' });
    const second = harness.queue.enqueue('unique-a', {}, { unique: 'invoice-1' });
    await expect(second).rejects.toBeInstanceOf(DuplicateJobError);
    const error = (await second.catch((caught) => caught)) as DuplicateJobError;
    expect(error.existingJobId).toBe(first);
    expect(error.uniqueKey).toBe('invoice-1');
    expect(error.message).toContain(`(id ${first})`);
  });

  it('returns the live job id with onDuplicate return-existing', async () => {
    const first = await harness.queue.enqueue('unique-b', {}, { unique: 'invoice-2' });
    const again = await harness.queue.enqueue('unique-b', {}, { unique: 'invoice-2', onDuplicate: 'return-existing' });
    expect(again).toBe(first);
  });

  it('frees a unique key once its job completes', async () => {
    harness.queue.register('unique-done', () => 'ok', { queue: 'unique-q' });
    const worker = harness.queue.newWorker({ ...FAST_WORKER, queues: ['unique-q'] });
    const running = worker.start();
    try {
      const first = await harness.queue.enqueue('unique-done', {}, { unique: 'report-2026' });
      await events.waitFor(JobCompleted, first);
      const second = await harness.queue.enqueue('unique-done', {}, { unique: 'report-2026' });
      expect(second).not.toBe(first);
      await events.waitFor(JobCompleted, second);
    } finally {
      await worker.stop();
      await running;
    }
  });

  it('inserts enqueueMany batches in one statement', async () => {
    const storage = harness.queue.storage as TypeOrmJobStorage;
    const statements = countStatements(storage.dataSource);
    try {
      const ids = await harness.queue.enqueueMany(
        Array.from({ length: 250 }, (_, index) => ({ type: 'bulk', args: { index }, options: { priority: index % 3 } })),
      );
      expect(ids).toHaveLength(250);
      expect(new Set(ids).size).toBe(250);
      expect(statements.count()).toBe(1);
      const stored = await harness.queue.getJob(ids[137]);
      expect(stored?.args).toEqual({ index: 137 });
      expect(stored?.priority).toBe(137 % 3);
    } finally {
      statements.restore();
    }
  });

  it('rejects a whole enqueueMany batch when one key is held', async () => {
    const holder = await harness.queue.enqueue('unique-c', {}, { unique: 'held-key' });
    const before = await jobCount();
    const batch = harness.queue.enqueueMany([
      { type: 'unique-c', args: { n: 1 } },
      { type: 'unique-c', args: { n: 2 }, options: { unique: 'held-key' } },
      { type: 'unique-c', args: { n: 3 }, options: { unique: 'fresh-key' } },
    ]);
    await expect(batch).rejects.toBeInstanceOf(DuplicateJobError);
    expect(((await batch.catch((caught) => caught)) as DuplicateJobError).existingJobId).toBe(holder);
    expect(await jobCount()).toBe(before);

    const fresh = await harness.queue.enqueue('unique-c', {}, { unique: 'fresh-key' });
    expect((await harness.queue.getJob(fresh))?.status).toBe(JobStatus.Pending);
  });

  it('rolls back only the batch inside a caller transaction', async () => {
    await harness.queue.enqueue('unique-d', {}, { unique: 'tx-held' });
    const storage = harness.queue.storage as TypeOrmJobStorage;
    let outside = '';
    await storage.dataSource.transaction(async (manager) => {
      outside = await harness.queue.enqueue('unique-d', { kept: true }, { manager });
      await expect(
        harness.queue.enqueueMany(
          [
            { type: 'unique-d', args: {} },
            { type: 'unique-d', args: {}, options: { unique: 'tx-held' } },
          ],
          { manager },
        ),
      ).rejects.toBeInstanceOf(DuplicateJobError);
    });
    expect((await harness.queue.getJob(outside))?.args).toEqual({ kept: true });
  });

  it('returns existing ids in enqueueMany with return-existing', async () => {
    const holder = await harness.queue.enqueue('unique-e', {}, { unique: 'batch-held' });
    const ids = await harness.queue.enqueueMany(
      [
        { type: 'unique-e', args: {}, options: { unique: 'batch-held' } },
        { type: 'unique-e', args: {}, options: { unique: 'batch-new' } },
      ],
      { onDuplicate: 'return-existing' },
    );
    expect(ids[0]).toBe(holder);
    expect(ids[1]).not.toBe(holder);
    expect((await harness.queue.getJob(ids[1]))?.uniqueKey).toBe('batch-new');
  });

  it('rejects a key repeated inside one batch', async () => {
    const before = await jobCount();
    await expect(
      harness.queue.enqueueMany([
        { type: 'unique-f', args: {}, options: { unique: 'twice' } },
        { type: 'unique-f', args: {}, options: { unique: 'twice' } },
      ]),
    ).rejects.toThrow(InvalidOptionError);
    expect(await jobCount()).toBe(before);
  });

  it('writes nothing when one batch item is invalid', async () => {
    const before = await jobCount();
    await expect(
      harness.queue.enqueueMany([
        { type: 'fine', args: {} },
        { type: 'fine', args: { bad: 1n } },
      ]),
    ).rejects.toThrow(/Invalid args at args.bad: BigInt 1n/);
    expect(await jobCount()).toBe(before);
  });

  it('starts jobs by priority, then run time, then insertion order', async () => {
    const order: string[] = [];
    harness.queue.register('ordered', (args: { label: string }) => void order.push(args.label), { queue: 'ordered' });
    const past = Date.now() - 60_000;
    await harness.queue.enqueueMany([
      { type: 'ordered', args: { label: 'low-1' }, options: { priority: 0 } },
      { type: 'ordered', args: { label: 'high' }, options: { priority: 10 } },
      { type: 'ordered', args: { label: 'low-2' }, options: { priority: 0 } },
      { type: 'ordered', args: { label: 'low-earlier' }, options: { priority: 0, at: past } },
      { type: 'ordered', args: { label: 'mid' }, options: { priority: 5 } },
      { type: 'ordered', args: { label: 'later' }, options: { priority: 99, delay: '1h' } },
    ]);
    const worker = harness.queue.newWorker({ ...FAST_WORKER, queues: { ordered: { concurrency: 1 } } });
    const running = worker.start();
    try {
      await events.waitUntil(() => order.length === 5);
      expect(order).toEqual(['high', 'mid', 'low-earlier', 'low-1', 'low-2']);
      expect(events.events.filter((event) => event instanceof JobStarted && event.job.type === 'ordered')).toHaveLength(5);
    } finally {
      await worker.stop();
      await running;
    }
  });
});

/** Counts SQL statements sent to the database by the storage's driver. */
function countStatements(dataSource: DataSource): { count(): number; restore(): void } {
  const driver = dataSource.driver as unknown as {
    master?: { query: (...args: unknown[]) => unknown; connect: (...args: unknown[]) => unknown };
    databaseConnection?: { prepare: (...args: unknown[]) => unknown };
  };
  if (driver.master) {
    const spy = jest.spyOn(driver.master, 'query');
    return { count: () => spy.mock.calls.length, restore: () => spy.mockRestore() };
  }
  // better-sqlite3 runs cached prepared statements, so count their executions instead.
  const database = driver.databaseConnection as { prepare: (sql: string) => object };
  const statementPrototype = Object.getPrototypeOf(database.prepare('SELECT 1')) as Record<string, Function>;
  const methods = ['all', 'run', 'get'] as const;
  const originals = new Map(methods.map((method) => [method, statementPrototype[method]]));
  let runs = 0;
  for (const method of methods) {
    const original = originals.get(method)!;
    statementPrototype[method] = function (this: { source: string }, ...args: unknown[]) {
      // Transaction control (BEGIN IMMEDIATE, COMMIT) runs through statements too.
      if (!/^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i.test(this.source)) runs += 1;
      return original.apply(this, args);
    };
  }
  return {
    count: () => runs,
    restore: () => {
      for (const method of methods) statementPrototype[method] = originals.get(method)!;
    },
  };
}
