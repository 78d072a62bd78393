import { DataSource } from 'typeorm';
import { encodeJson } from '../../lib/common/json-payload.js';
import { DurableJobsError } from '../../lib/errors/durable-jobs.error.js';
import { InvalidOptionError } from '../../lib/errors/invalid-option.error.js';
import { JobStatus, type Job } from '../../lib/interfaces/job.interface.js';
import {
  createJobEntitySchema,
  createJobStorage,
  getDurableJobsMigrations,
  type JobRecord,
  type JobStorage,
  type TypeOrmJobStorage,
} from '../../lib/storage/index.js';
import type { StorageBackend } from '../../lib/storage/dialects/storage-backend.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import {
  forceStatus,
  freshKey,
  freshQueue,
  listTables,
  minutesAgo,
  newJob,
  readMigrationRows,
  tokenOf,
} from './storage-test-helpers.js';

const LOCK_MS = 60_000;

/** Released migration names are recorded in databases, so they must never change. */
const MIGRATION_0001 = 'DurableJobs0001CreateJobs1796342400000';
const MIGRATION_0002 = 'DurableJobs0002DurableExecution1796428800000';

/** Returns every migration of the dialect, in order, as the migrations table records them. */
function allMigrations(dialect: 'sqlite' | 'postgres'): Array<{ id: number; name: string }> {
  return getDurableJobsMigrations({ dialect }).map((Migration) => {
    const migration = new Migration();
    return { id: migration.id, name: migration.name };
  });
}

describe.each(testDialects())('JobStorage contract on %s', (dialect) => {
  let database: TestDatabase;
  let storage: TypeOrmJobStorage;
  /** A second storage on the same database, with its own connection. */
  let observer: TypeOrmJobStorage;
  const extraStorages: TypeOrmJobStorage[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    storage = await createJobStorage({ connection: database.connection });
    observer = await createJobStorage({ connection: database.connection, migrationsRun: false });
  });

  afterAll(async () => {
    for (const extra of extraStorages) await extra.close();
    await observer?.close();
    await storage?.close();
    await database?.drop();
  });

  async function openStorage(options: { tablePrefix?: string; migrationsRun?: boolean } = {}) {
    const opened = await createJobStorage({ connection: database.connection, ...options });
    extraStorages.push(opened);
    return opened;
  }

  async function claimAll(queue: string, workerId = 'worker-1', limit = 100, lockMs = LOCK_MS): Promise<Job[]> {
    return storage.claim({ workerId, queues: [queue], limit, lockMs });
  }

  async function enqueueOne(queue: string, overrides: Parameters<typeof newJob>[1] = {}) {
    const job = newJob(queue, overrides);
    const [result] = await storage.enqueue([job]);
    return { job, result };
  }

  async function claimOne(queue: string, workerId = 'worker-1'): Promise<Job> {
    await enqueueOne(queue);
    const [claimed] = await claimAll(queue, workerId, 1);
    if (!claimed) throw new Error(`nothing claimable in ${queue}`);
    return claimed;
  }

  describe('migrations', () => {
    it('records them in the prefixed table only', async () => {
      await storage.migrate();
      await storage.migrate();

      const rows = await readMigrationRows(storage.dataSource, 'durable_migrations');
      expect(rows.slice(0, 2)).toEqual([
        { id: 1, name: MIGRATION_0001 },
        { id: 2, name: MIGRATION_0002 },
      ]);
      expect(rows).toEqual(allMigrations(dialect));
      const tables = await listTables(storage.dataSource, dialect);
      expect(tables).toEqual(expect.arrayContaining(['durable_jobs', 'durable_migrations']));
      expect(tables).not.toContain('migrations');
    });

    it('uses a custom table prefix', async () => {
      const custom = await openStorage({ tablePrefix: 'custom_' });
      const job = newJob(freshQueue('custom'));
      await custom.enqueue([job]);

      const tables = await listTables(custom.dataSource, dialect);
      expect(tables).toEqual(expect.arrayContaining(['custom_jobs', 'custom_migrations']));
      expect((await custom.getJob(job.id))?.id).toBe(job.id);
      expect(await storage.getJob(job.id)).toBeNull();
    });

    it('survives two storages migrating at once', async () => {
      const first = await openStorage({ tablePrefix: 'race_', migrationsRun: false });
      const second = await openStorage({ tablePrefix: 'race_', migrationsRun: false });

      await expect(Promise.all([first.migrate(), second.migrate()])).resolves.toEqual([undefined, undefined]);
      expect(await readMigrationRows(first.dataSource, 'race_migrations')).toEqual(allMigrations(dialect));
    });

    it('runs under TypeORM migration runner', async () => {
      const dataSource = new DataSource({
        ...database.connection,
        migrations: getDurableJobsMigrations({ dialect, tablePrefix: 'typeorm_' }),
        migrationsTableName: 'app_migrations',
      });
      await dataSource.initialize();
      try {
        const executed = await dataSource.runMigrations();
        expect(executed.map((migration) => migration.name)).toEqual(allMigrations(dialect).map((migration) => migration.name));

        const reused = await createJobStorage({ dataSource, tablePrefix: 'typeorm_', migrationsRun: false });
        const job = newJob(freshQueue('typeorm'));
        await reused.enqueue([job]);
        expect((await reused.getJob(job.id))?.id).toBe(job.id);
        await reused.close();
        expect(dataSource.isInitialized).toBe(true);
      } finally {
        await dataSource.destroy();
      }
    });

    it('entity schema maps stored rows', async () => {
      const runAt = minutesAgo(1);
      const { job } = await enqueueOne(freshQueue('entity'), { runAt, uniqueKey: freshKey('entity') });
      const dataSource = new DataSource({ ...database.connection, entities: [createJobEntitySchema({ dialect })] });
      await dataSource.initialize();
      try {
        const record = await dataSource.getRepository<JobRecord>('durable_jobs').findOneByOrFail({ id: job.id });
        expect(record.args).toBe(job.argsJson);
        expect(record.uniqueKey).toBe(job.uniqueKey);
        expect(record.status).toBe(JobStatus.Pending);
        expect(record.runAt).toEqual(runAt);
        expect(record.createdAt).toBeInstanceOf(Date);
        expect(record.lockedUntil).toBeNull();
      } finally {
        await dataSource.destroy();
      }
    });
  });

  describe('enqueue', () => {
    it('returns batch results in input order', async () => {
      const queue = freshQueue('batch');
      const jobs = Array.from({ length: 25 }, (_, index) => newJob(queue, { argsJson: encodeJson('args', { index }) }));

      const results = await storage.enqueue(jobs);

      expect(results).toEqual(jobs.map((job) => ({ id: job.id, inserted: true })));
      const listed = await storage.listJobs({ queue });
      expect(listed.map((job) => job.id)).toEqual(jobs.map((job) => job.id));
      expect(listed.map((job) => job.args)).toEqual(jobs.map((_, index) => ({ index })));
    });

    it('stores a new job as pending', async () => {
      const { job } = await enqueueOne(freshQueue('fields'), { priority: 7, maxRetries: 9 });
      const stored = await storage.getJob(job.id);

      expect(stored).toMatchObject({
        id: job.id,
        type: job.type,
        queue: job.queue,
        priority: 7,
        maxRetries: 9,
        status: JobStatus.Pending,
        attempt: 0,
        lastError: null,
        result: null,
        uniqueKey: null,
        backoff: null,
        startedAt: null,
        completedAt: null,
        lastHeartbeatAt: null,
        lockedBy: null,
        lockedUntil: null,
      });
      expect(stored?.runAt.getTime()).toBe(stored?.createdAt.getTime());
    });

    it('returns an empty batch unchanged', async () => {
      expect(await storage.enqueue([])).toEqual([]);
    });

    it('round-trips payloads exactly', async () => {
      const args = {
        nul: 'a\u0000b',
        emoji: '😀👩‍👩‍👧 ok',
        loneSurrogates: 'x\ud800y\udc00z',
        keyOrder: { zebra: 1, apple: 2, '10': 3 },
        nested: { list: [1, { deep: [null, true, 'z', -0.5] }], empty: {}, none: [] },
        ['key\u0000with nul']: 'value',
        big: 1.7976931348623157e308,
      };
      const backoff = { initialMs: 250, maxMs: 90_000, multiplier: 3, jitter: 0.1 };
      const error = 'failed: \u0000 😀 \udfff';
      const result = { ok: '\u0000', list: ['\ud83d', '😀'] };
      const queue = freshQueue('payload');
      const { job } = await enqueueOne(queue, { argsJson: encodeJson('args', args), backoff });

      const stored = await storage.getJob(job.id);
      expect(stored?.args).toEqual(args);
      expect(JSON.stringify(stored?.args)).toBe(JSON.stringify(args));
      expect(stored?.backoff).toEqual(backoff);

      const [claimed] = await claimAll(queue);
      await storage.recordOutcomes([
        { ...tokenOf(claimed), kind: 'retrying', errorJson: encodeJson('error', error), delayMs: 0 },
      ]);
      expect((await storage.getJob(job.id))?.lastError).toBe(error);

      const [again] = await claimAll(queue);
      await storage.recordOutcomes([{ ...tokenOf(again), kind: 'completed', resultJson: encodeJson('result', result) }]);
      const completed = await storage.getJob(job.id);
      expect(completed?.result).toEqual(result);
      expect(JSON.stringify(completed?.result)).toBe(JSON.stringify(result));
    });
  });

  describe('unique keys', () => {
    it('duplicate returns the holder id', async () => {
      const queue = freshQueue('unique');
      const key = freshKey('dup');
      const { job: holder } = await enqueueOne(queue, { uniqueKey: key });
      const duplicate = newJob(queue, { uniqueKey: key });

      expect(await storage.enqueue([duplicate])).toEqual([{ id: holder.id, inserted: false }]);
      expect(await storage.getJob(duplicate.id)).toBeNull();
    });

    it('same key twice in one batch', async () => {
      const queue = freshQueue('unique-batch');
      const key = freshKey('batch');
      const first = newJob(queue, { uniqueKey: key });
      const second = newJob(queue, { uniqueKey: key });
      const other = newJob(queue, { uniqueKey: freshKey('other') });

      expect(await storage.enqueue([first, second, other])).toEqual([
        { id: first.id, inserted: true },
        { id: first.id, inserted: false },
        { id: other.id, inserted: true },
      ]);
    });

    it('held while running and retrying, freed when completed', async () => {
      const queue = freshQueue('unique-live');
      const key = freshKey('live');
      const { job: holder } = await enqueueOne(queue, { uniqueKey: key });

      const [running] = await claimAll(queue);
      expect((await storage.enqueue([newJob(queue, { uniqueKey: key })]))[0]).toEqual({ id: holder.id, inserted: false });

      await storage.recordOutcomes([{ ...tokenOf(running), kind: 'retrying', errorJson: '"boom"', delayMs: 0 }]);
      expect((await storage.getJob(holder.id))?.status).toBe(JobStatus.Retrying);
      expect((await storage.enqueue([newJob(queue, { uniqueKey: key })]))[0]).toEqual({ id: holder.id, inserted: false });

      const [again] = await claimAll(queue);
      await storage.recordOutcomes([{ ...tokenOf(again), kind: 'completed', resultJson: 'null' }]);
      const successor = newJob(queue, { uniqueKey: key });
      expect(await storage.enqueue([successor])).toEqual([{ id: successor.id, inserted: true }]);
    });

    it('freed when failed', async () => {
      const queue = freshQueue('unique-failed');
      const key = freshKey('failed');
      await enqueueOne(queue, { uniqueKey: key });
      const [running] = await claimAll(queue);
      await storage.recordOutcomes([{ ...tokenOf(running), kind: 'failed', errorJson: '"fatal"' }]);

      const successor = newJob(queue, { uniqueKey: key });
      expect(await storage.enqueue([successor])).toEqual([{ id: successor.id, inserted: true }]);
    });

    it('inserts again when the holder finishes', async () => {
      const queue = freshQueue('unique-race');
      const key = freshKey('race');
      await enqueueOne(queue, { uniqueKey: key });
      const [holder] = await claimAll(queue);
      // The holder must finish between the insert and the look-up of its id, a window no
      // public call can hit on purpose, so the look-up is wrapped to finish it first.
      const internals = storage as unknown as { backend: StorageBackend };
      const backend = internals.backend;
      let lookups = 0;
      internals.backend = Object.create(backend, {
        findLiveHolders: {
          value: async (...args: Parameters<StorageBackend['findLiveHolders']>) => {
            lookups += 1;
            if (lookups === 1) {
              await storage.recordOutcomes([{ ...tokenOf(holder), kind: 'completed', resultJson: 'null' }]);
            }
            return backend.findLiveHolders(...args);
          },
        },
      });

      try {
        const successor = newJob(queue, { uniqueKey: key });
        expect(await storage.enqueue([successor])).toEqual([{ id: successor.id, inserted: true }]);
        expect(lookups).toBe(1);
      } finally {
        internals.backend = backend;
      }
    });

    it('gives up after bounded rounds', async () => {
      const internals = storage as unknown as { backend: StorageBackend };
      const backend = internals.backend;
      let inserts = 0;
      // A key that is always held at insert time and always free at look-up time.
      internals.backend = Object.create(backend, {
        insertJobs: {
          value: async () => {
            inserts += 1;
            return [];
          },
        },
        findLiveHolders: { value: async () => new Map() },
      });

      try {
        const job = newJob(freshQueue('unique-bound'), { uniqueKey: 'always-finishing' });
        await expect(storage.enqueue([job])).rejects.toThrow(DurableJobsError);
        expect(inserts).toBe(5);
      } finally {
        internals.backend = backend;
      }
    });

    it.each([
      ['waiting', false],
      ['paused', false],
      ['cancelled', true],
    ])('key of a %s job is free: %s', async (status, free) => {
      const queue = freshQueue(`unique-${status}`);
      const key = freshKey(status);
      const { job: holder } = await enqueueOne(queue, { uniqueKey: key });
      await forceStatus(storage.dataSource, dialect, 'durable_jobs', holder.id, status);

      const successor = newJob(queue, { uniqueKey: key });
      const [result] = await storage.enqueue([successor]);
      expect(result).toEqual(free ? { id: successor.id, inserted: true } : { id: holder.id, inserted: false });
    });
  });

  describe('transactions', () => {
    it('rolled back key is no duplicate', async () => {
      const queue = freshQueue('rollback');
      const key = freshKey('rollback');
      const rolledBack = newJob(queue, { uniqueKey: key });

      await expect(
        storage.dataSource.transaction(async (manager) => {
          expect(await storage.enqueue([rolledBack], manager)).toEqual([{ id: rolledBack.id, inserted: true }]);
          throw new Error('roll back on purpose');
        }),
      ).rejects.toThrow('roll back on purpose');

      expect(await storage.getJob(rolledBack.id)).toBeNull();
      const retry = newJob(queue, { uniqueKey: key });
      expect(await storage.enqueue([retry])).toEqual([{ id: retry.id, inserted: true }]);
    });

    it('manager enqueue invisible until commit', async () => {
      const queue = freshQueue('commit');
      const job = newJob(queue);
      let seenInside: Job | null | undefined;
      let listedInside: Job[] | undefined;

      await storage.dataSource.transaction(async (manager) => {
        await storage.enqueue([job], manager);
        seenInside = await observer.getJob(job.id);
        listedInside = await observer.listJobs({ queue });
      });

      expect(seenInside).toBeNull();
      expect(listedInside).toEqual([]);
      expect((await observer.getJob(job.id))?.status).toBe(JobStatus.Pending);
    });

    it('manager duplicate sees own transaction', async () => {
      const queue = freshQueue('tx-dup');
      const key = freshKey('tx-dup');
      const first = newJob(queue, { uniqueKey: key });
      const second = newJob(queue, { uniqueKey: key });

      const results = await storage.dataSource.transaction(async (manager) => [
        ...(await storage.enqueue([first], manager)),
        ...(await storage.enqueue([second], manager)),
      ]);

      expect(results).toEqual([
        { id: first.id, inserted: true },
        { id: first.id, inserted: false },
      ]);
    });

    const postgresOnly = dialect === 'postgres' ? it : it.skip;

    postgresOnly('waits for a rival insert to roll back', async () => {
      const queue = freshQueue('rival');
      const key = freshKey('rival');
      let releaseRival!: () => void;
      const rivalMayFinish = new Promise<void>((resolve) => (releaseRival = resolve));
      let rivalInserted!: () => void;
      const rivalHasInserted = new Promise<void>((resolve) => (rivalInserted = resolve));

      const rival = storage.dataSource
        .transaction(async (manager) => {
          await storage.enqueue([newJob(queue, { uniqueKey: key })], manager);
          rivalInserted();
          await rivalMayFinish;
          throw new Error('rival rolls back');
        })
        .catch((error: Error) => error.message);
      await rivalHasInserted;

      const contender = newJob(queue, { uniqueKey: key });
      const contenderResult = observer.enqueue([contender]);
      await waitForLockWaiter(storage.dataSource);
      releaseRival();

      expect(await rival).toBe('rival rolls back');
      expect(await contenderResult).toEqual([{ id: contender.id, inserted: true }]);
    });

    postgresOnly('rejects a manager of another database type', async () => {
      const sqlite = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
      await sqlite.initialize();
      try {
        await expect(storage.enqueue([newJob(freshQueue('foreign'))], sqlite.manager)).rejects.toThrow(
          InvalidOptionError,
        );
      } finally {
        await sqlite.destroy();
      }
    });
  });

  describe('claim', () => {
    /** Jobs enqueued in this order must be claimed as c, b, a, d, e, f. */
    function orderingBatch(queue: string) {
      const threeMinutesAgo = minutesAgo(3);
      const jobs = {
        a: newJob(queue, { priority: 0, runAt: threeMinutesAgo }),
        b: newJob(queue, { priority: 5, runAt: minutesAgo(1) }),
        c: newJob(queue, { priority: 5, runAt: minutesAgo(2) }),
        d: newJob(queue, { priority: 0, runAt: threeMinutesAgo }),
        e: newJob(queue, { priority: 0, runAt: minutesAgo(1) }),
        f: newJob(queue, { priority: -1, runAt: minutesAgo(5) }),
      };
      const expected = [jobs.c, jobs.b, jobs.a, jobs.d, jobs.e, jobs.f].map((job) => job.id);
      return { jobs: Object.values(jobs), expected };
    }

    it('orders by priority, run time, insertion', async () => {
      const queue = freshQueue('order');
      const { jobs, expected } = orderingBatch(queue);
      await storage.enqueue(jobs);

      const claimed = await claimAll(queue, 'worker-1', 10);
      expect(claimed.map((job) => job.id)).toEqual(expected);
    });

    it('one at a time follows the same order', async () => {
      const queue = freshQueue('order-single');
      const { jobs, expected } = orderingBatch(queue);
      await storage.enqueue(jobs);

      const claimedIds: string[] = [];
      for (let index = 0; index < jobs.length; index += 1) {
        const [claimed] = await claimAll(queue, 'worker-1', 1);
        claimedIds.push(claimed.id);
      }
      expect(claimedIds).toEqual(expected);
      expect(await claimAll(queue)).toEqual([]);
    });

    it('locks the job on the database clock', async () => {
      const queue = freshQueue('lock');
      const { job } = await enqueueOne(queue);

      const [claimed] = await storage.claim({ workerId: 'worker-lock', queues: [queue], limit: 5, lockMs: 45_000 });

      expect(claimed).toMatchObject({ id: job.id, status: JobStatus.Running, attempt: 1, lockedBy: 'worker-lock' });
      expect(claimed.startedAt).toBeInstanceOf(Date);
      expect(claimed.lockedUntil!.getTime() - claimed.startedAt!.getTime()).toBe(45_000);
      expect(claimed.lastHeartbeatAt).toEqual(claimed.startedAt);
      expect(claimed.updatedAt).toEqual(claimed.startedAt);
      expect(await storage.getJob(job.id)).toEqual(claimed);
    });

    it('respects the limit', async () => {
      const queue = freshQueue('limit');
      await storage.enqueue(Array.from({ length: 5 }, () => newJob(queue)));

      expect(await claimAll(queue, 'worker-1', 0)).toEqual([]);
      expect(await claimAll(queue, 'worker-1', 2)).toHaveLength(2);
      expect(await claimAll(queue, 'worker-1', 10)).toHaveLength(3);
      expect(await claimAll(queue, 'worker-1', 10)).toHaveLength(0);
    });

    it('skips jobs before their run time', async () => {
      const queue = freshQueue('delayed');
      const delayed = newJob(queue, { delayMs: 60_000 });
      const scheduled = newJob(queue, { runAt: new Date(Date.now() + 60_000) });
      const due = newJob(queue, { runAt: minutesAgo(1) });
      await storage.enqueue([delayed, scheduled, due]);

      const claimed = await claimAll(queue);
      expect(claimed.map((job) => job.id)).toEqual([due.id]);
      const stored = await storage.getJob(delayed.id);
      expect(stored!.runAt.getTime() - stored!.createdAt.getTime()).toBe(60_000);
      expect((await storage.getJob(scheduled.id))?.runAt).toEqual(scheduled.runAt);
    });

    it('filters by queue', async () => {
      const selected = freshQueue('selected');
      const other = freshQueue('other');
      const mine = newJob(selected);
      const theirs = newJob(other);
      await storage.enqueue([mine, theirs]);

      expect((await claimAll(selected)).map((job) => job.id)).toEqual([mine.id]);
      expect(await storage.claim({ workerId: 'w', queues: [], limit: 10, lockMs: LOCK_MS })).toEqual([]);
      const both = await storage.claim({ workerId: 'w', queues: [selected, other], limit: 10, lockMs: LOCK_MS });
      expect(both.map((job) => job.id)).toEqual([theirs.id]);
    });

    it('concurrent claims never share a job', async () => {
      const queue = freshQueue('concurrent');
      const jobs = Array.from({ length: 200 }, () => newJob(queue));
      await storage.enqueue(jobs);

      const claims: Array<{ workerId: string; job: Job }> = [];
      for (let round = 0; round < 20 && claims.length < jobs.length; round += 1) {
        const batches = await Promise.all(
          Array.from({ length: 10 }, (_, index) => {
            const workerId = `worker-${index}`;
            const claimer = index % 2 === 0 ? storage : observer;
            return claimer
              .claim({ workerId, queues: [queue], limit: 25, lockMs: LOCK_MS })
              .then((claimed) => claimed.map((job) => ({ workerId, job })));
          }),
        );
        claims.push(...batches.flat());
      }

      const ids = claims.map(({ job }) => job.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(jobs.map((job) => job.id).sort());
      for (const { workerId, job } of claims) {
        expect(job.lockedBy).toBe(workerId);
        expect(job.attempt).toBe(1);
      }
    });
  });

  describe('recordOutcomes', () => {
    it('completed stores the result', async () => {
      const claimed = await claimOne(freshQueue('completed'));

      const written = await storage.recordOutcomes([
        { ...tokenOf(claimed), kind: 'completed', resultJson: encodeJson('result', { total: 3 }) },
      ]);

      expect(written).toEqual([claimed.id]);
      const stored = await storage.getJob(claimed.id);
      expect(stored).toMatchObject({
        status: JobStatus.Completed,
        attempt: 1,
        result: { total: 3 },
        lockedBy: null,
        lockedUntil: null,
      });
      expect(stored!.completedAt).toEqual(stored!.updatedAt);
      expect(stored!.completedAt!.getTime()).toBeGreaterThanOrEqual(claimed.startedAt!.getTime());
    });

    it('failed stores the error', async () => {
      const claimed = await claimOne(freshQueue('failed'));

      expect(await storage.recordOutcomes([{ ...tokenOf(claimed), kind: 'failed', errorJson: '"no retries left"' }])).toEqual([
        claimed.id,
      ]);

      const stored = await storage.getJob(claimed.id);
      expect(stored).toMatchObject({ status: JobStatus.Failed, lastError: 'no retries left', lockedBy: null });
      expect(stored!.completedAt).toEqual(stored!.updatedAt);
    });

    it('retrying reschedules after the delay', async () => {
      const queue = freshQueue('retrying');
      const claimed = await claimOne(queue);

      await storage.recordOutcomes([
        { ...tokenOf(claimed), kind: 'retrying', errorJson: '"try later"', delayMs: 90_000 },
      ]);

      const stored = await storage.getJob(claimed.id);
      expect(stored).toMatchObject({
        status: JobStatus.Retrying,
        attempt: 1,
        lastError: 'try later',
        completedAt: null,
        lockedBy: null,
        lockedUntil: null,
      });
      expect(stored!.runAt.getTime() - stored!.updatedAt.getTime()).toBe(90_000);
      expect(await claimAll(queue)).toEqual([]);
    });

    it('released returns the attempt', async () => {
      const queue = freshQueue('released');
      const claimed = await claimOne(queue);

      expect(await storage.recordOutcomes([{ ...tokenOf(claimed), kind: 'released' }])).toEqual([claimed.id]);

      const stored = await storage.getJob(claimed.id);
      expect(stored).toMatchObject({ status: JobStatus.Pending, attempt: 0, lockedBy: null, lockedUntil: null });
      const [reclaimed] = await claimAll(queue, 'worker-2');
      expect(reclaimed).toMatchObject({ id: claimed.id, attempt: 1, lockedBy: 'worker-2' });
    });

    it('writes a mixed batch in one call', async () => {
      const queue = freshQueue('mixed');
      await storage.enqueue(Array.from({ length: 4 }, () => newJob(queue)));
      const [completed, failed, retrying, released] = await claimAll(queue);

      const written = await storage.recordOutcomes([
        { ...tokenOf(completed), kind: 'completed', resultJson: '1' },
        { ...tokenOf(failed), kind: 'failed', errorJson: '"f"' },
        { ...tokenOf(retrying), kind: 'retrying', errorJson: '"r"', delayMs: 60_000 },
        { ...tokenOf(released), kind: 'released' },
      ]);

      expect(written.sort()).toEqual([completed.id, failed.id, retrying.id, released.id].sort());
      const statuses = await Promise.all(
        [completed, failed, retrying, released].map(async (job) => (await storage.getJob(job.id))?.status),
      );
      expect(statuses).toEqual([JobStatus.Completed, JobStatus.Failed, JobStatus.Retrying, JobStatus.Pending]);
    });

    it('fences out wrong worker and attempt', async () => {
      const claimed = await claimOne(freshQueue('fence'), 'worker-owner');
      const token = tokenOf(claimed);

      expect(await storage.recordOutcomes([{ ...token, workerId: 'worker-intruder', kind: 'completed', resultJson: '1' }])).toEqual([]);
      expect(await storage.recordOutcomes([{ ...token, attempt: 2, kind: 'failed', errorJson: '"x"' }])).toEqual([]);
      expect(await storage.recordOutcomes([{ ...token, attempt: 0, kind: 'released' }])).toEqual([]);

      const stored = await storage.getJob(claimed.id);
      expect(stored).toMatchObject({ status: JobStatus.Running, attempt: 1, lockedBy: 'worker-owner', result: null });
    });

    it('fences out rows not running', async () => {
      const queue = freshQueue('fence-status');
      const { job: pending } = await enqueueOne(queue, { runAt: new Date(Date.now() + 60_000) });
      const claimed = await claimOne(queue);
      const token = tokenOf(claimed);

      expect(await storage.recordOutcomes([{ id: pending.id, workerId: 'worker-1', attempt: 0, kind: 'released' }])).toEqual([]);
      expect(await storage.recordOutcomes([{ ...token, kind: 'completed', resultJson: '"first"' }])).toEqual([claimed.id]);
      expect(await storage.recordOutcomes([{ ...token, kind: 'failed', errorJson: '"second"' }])).toEqual([]);

      expect(await storage.getJob(pending.id)).toMatchObject({ status: JobStatus.Pending, attempt: 0 });
      expect(await storage.getJob(claimed.id)).toMatchObject({ status: JobStatus.Completed, result: 'first', lastError: null });
    });

    it('returns only rows written in a batch', async () => {
      const queue = freshQueue('fence-batch');
      await storage.enqueue([newJob(queue), newJob(queue)]);
      const [mine, other] = await claimAll(queue, 'worker-a');

      const written = await storage.recordOutcomes([
        { ...tokenOf(mine), kind: 'completed', resultJson: '1' },
        { ...tokenOf(other), workerId: 'worker-b', kind: 'completed', resultJson: '2' },
      ]);

      expect(written).toEqual([mine.id]);
      expect((await storage.getJob(other.id))?.status).toBe(JobStatus.Running);
    });

    it('rejects two outcomes for one job', async () => {
      const claimed = await claimOne(freshQueue('twice'));
      const token = tokenOf(claimed);

      await expect(
        storage.recordOutcomes([
          { ...token, kind: 'completed', resultJson: '1' },
          { ...token, kind: 'failed', errorJson: '"x"' },
        ]),
      ).rejects.toThrow(InvalidOptionError);
      expect((await storage.getJob(claimed.id))?.status).toBe(JobStatus.Running);
    });
  });

  describe('heartbeat', () => {
    it('extends only this worker running locks', async () => {
      const queue = freshQueue('heartbeat');
      await storage.enqueue(Array.from({ length: 4 }, () => newJob(queue)));
      const mine = await claimAll(queue, 'worker-beat', 3, 1_000);
      const [theirs] = await claimAll(queue, 'worker-other', 1, 1_000);
      const [finished, ...stillRunning] = mine;
      await storage.recordOutcomes([{ ...tokenOf(finished), kind: 'completed', resultJson: 'null' }]);

      const extended = await storage.heartbeat('worker-beat', 600_000);

      expect(extended.sort()).toEqual(stillRunning.map((job) => job.id).sort());
      for (const job of stillRunning) {
        const stored = await storage.getJob(job.id);
        expect(stored!.lockedUntil!.getTime()).toBeGreaterThan(job.lockedUntil!.getTime());
        expect(stored!.lockedUntil!.getTime() - stored!.lastHeartbeatAt!.getTime()).toBe(600_000);
      }
      expect((await storage.getJob(theirs.id))?.lockedUntil).toEqual(theirs.lockedUntil);
      expect((await storage.getJob(finished.id))?.lockedUntil).toBeNull();
      expect(await storage.heartbeat('worker-unknown', 600_000)).toEqual([]);
    });
  });

  describe('queries', () => {
    it('countByStatus lists every status', async () => {
      const queue = freshQueue('count');
      await storage.enqueue(Array.from({ length: 4 }, () => newJob(queue)));
      const [done, running] = await claimAll(queue, 'worker-1', 2);
      await storage.recordOutcomes([{ ...tokenOf(done), kind: 'completed', resultJson: 'null' }]);
      expect(running.status).toBe(JobStatus.Running);

      const counts = await storage.countByStatus(queue);

      expect(counts).toEqual({
        pending: 2,
        running: 1,
        completed: 1,
        failed: 0,
        retrying: 0,
        waiting: 0,
        cancelled: 0,
        paused: 0,
      });
      const everywhere = await storage.countByStatus();
      expect(Object.keys(everywhere).sort()).toEqual(Object.values(JobStatus).sort());
      expect(everywhere.pending).toBeGreaterThanOrEqual(2);
    });

    it('listJobs filters and limits', async () => {
      const queue = freshQueue('list');
      const jobs = Array.from({ length: 6 }, (_, index) => newJob(queue, { type: index % 2 === 0 ? 'even' : 'odd' }));
      await storage.enqueue(jobs);
      const [first] = await claimAll(queue, 'worker-1', 1);

      expect((await storage.listJobs({ queue })).map((job) => job.id)).toEqual(jobs.map((job) => job.id));
      expect((await storage.listJobs({ queue, status: JobStatus.Running })).map((job) => job.id)).toEqual([first.id]);
      expect(await storage.listJobs({ queue, status: [JobStatus.Running, JobStatus.Pending] })).toHaveLength(6);
      expect(await storage.listJobs({ queue, status: [] })).toEqual([]);
      expect((await storage.listJobs({ queue, type: 'odd' })).map((job) => job.id)).toEqual(
        [jobs[1], jobs[3], jobs[5]].map((job) => job.id),
      );
      expect((await storage.listJobs({ queue, limit: 2 })).map((job) => job.id)).toEqual([jobs[0].id, jobs[1].id]);
      await expect(storage.listJobs({ queue, limit: 0 })).rejects.toThrow(InvalidOptionError);
    });

    it('listJobs defaults to 100 rows', async () => {
      const queue = freshQueue('list-default');
      await storage.enqueue(Array.from({ length: 101 }, () => newJob(queue)));

      expect(await storage.listJobs({ queue })).toHaveLength(100);
    });

    it('getJob returns null when missing', async () => {
      expect(await storage.getJob(newJob('none').id)).toBeNull();
      expect(await storage.getJob('not-a-uuid')).toBeNull();
    });

    it('implements the JobStorage port', () => {
      const port: JobStorage = storage;
      expect(port.dialect).toBe(dialect);
    });
  });
});

/** Polls until some session of the test database waits for a row or index lock. */
async function waitForLockWaiter(dataSource: DataSource): Promise<void> {
  for (let poll = 0; poll < 500; poll += 1) {
    const [row]: Array<{ waiting: string }> = await dataSource.query(
      "SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if (Number(row.waiting) > 0) return;
  }
  throw new Error('no session waited for a lock after 500 polls');
}
