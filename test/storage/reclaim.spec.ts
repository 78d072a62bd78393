import { JobStatus } from '../../lib/interfaces/job.interface.js';
import { createJobStorage, type TypeOrmJobStorage } from '../../lib/storage/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { freshQueue, newJob, tokenOf } from './storage-test-helpers.js';

const LOCK_MS = 60_000;

describe.each(testDialects())('reclaimStaleLocks on %s', (dialect) => {
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

  /** Moves a running job's lock expiry `ms` into the past, as a stalled or dead worker leaves it. */
  async function expireLock(id: string, ms: number): Promise<void> {
    if (dialect === 'postgres') {
      await storage.dataSource.query(
        `UPDATE durable_jobs SET locked_until = now() - $2 * interval '1 millisecond' WHERE id = $1`,
        [id, ms],
      );
    } else {
      await storage.dataSource.query(
        `UPDATE durable_jobs SET locked_until = CAST(unixepoch('subsec') * 1000 AS INTEGER) - ? WHERE id = ?`,
        [ms, id],
      );
    }
  }

  async function claimOne(queue: string, overrides: Parameters<typeof newJob>[1] = {}) {
    await storage.enqueue([newJob(queue, overrides)]);
    const [job] = await storage.claim({ workerId: 'lost-worker', queues: [queue], limit: 1, lockMs: LOCK_MS });
    return job;
  }

  it('returns a stale job to pending with its priority', async () => {
    const queue = freshQueue('reclaim');
    const job = await claimOne(queue, { priority: 7, type: 'no-handler-anywhere' });
    await expireLock(job.id, 5_000);

    const reclaimed = await storage.reclaimStaleLocks(1_000, 100);
    expect(reclaimed).toEqual([
      {
        id: job.id,
        type: 'no-handler-anywhere',
        queue,
        attempt: 1,
        maxRetries: 3,
        status: JobStatus.Pending,
        lostWorker: 'lost-worker',
      },
    ]);
    const stored = await storage.getJob(job.id);
    expect(stored?.status).toBe(JobStatus.Pending);
    expect(stored?.priority).toBe(7);
    expect(stored?.attempt).toBe(1);
    expect(stored?.lockedBy).toBeNull();
    expect(stored?.lastError).toMatch(/^Worker lost-worker was lost while running attempt 1; its lock expired at \d{4}-\d\d-\d\dT/);
  });

  it('leaves locks younger than the stale age', async () => {
    const queue = freshQueue('young');
    const job = await claimOne(queue);
    await expireLock(job.id, 1_000);
    const reclaimed = await storage.reclaimStaleLocks(60_000, 100);
    expect(reclaimed.map((entry) => entry.id)).not.toContain(job.id);
    expect((await storage.getJob(job.id))?.status).toBe(JobStatus.Running);
  });

  it('leaves live locks alone', async () => {
    const queue = freshQueue('live');
    const job = await claimOne(queue);
    // Other tests leave stale jobs behind, and reclaim is global, so look only at this one.
    const reclaimed = await storage.reclaimStaleLocks(0, 100);
    expect(reclaimed.map((entry) => entry.id)).not.toContain(job.id);
    expect((await storage.getJob(job.id))?.lockedBy).toBe('lost-worker');
  });

  it('never reverts a completed job', async () => {
    const queue = freshQueue('completed');
    const job = await claimOne(queue);
    await storage.recordOutcomes([{ ...tokenOf(job), kind: 'completed', resultJson: '"done"' }]);
    await expireLock(job.id, 5_000);
    const reclaimed = await storage.reclaimStaleLocks(0, 100);
    expect(reclaimed.map((entry) => entry.id)).not.toContain(job.id);
    const stored = await storage.getJob(job.id);
    expect(stored?.status).toBe(JobStatus.Completed);
    expect(stored?.result).toBe('done');
  });

  it('fails a job that lost its worker on its last attempt', async () => {
    const queue = freshQueue('crashes');
    await storage.enqueue([newJob(queue, { maxRetries: 1 })]);
    for (const attempt of [1, 2]) {
      const [job] = await storage.claim({ workerId: `crashing-${attempt}`, queues: [queue], limit: 1, lockMs: LOCK_MS });
      expect(job.attempt).toBe(attempt);
      await expireLock(job.id, 5_000);
      const [reclaimed] = await storage.reclaimStaleLocks(0, 100);
      expect(reclaimed.status).toBe(attempt === 1 ? JobStatus.Pending : JobStatus.Failed);
    }
    const [failed] = await storage.listJobs({ queue });
    expect(failed.status).toBe(JobStatus.Failed);
    expect(failed.attempt).toBe(2);
    expect(failed.completedAt).toBeInstanceOf(Date);
    expect(failed.lastError).toMatch(/^Worker crashing-2 was lost while running attempt 2/);
    expect(await storage.claim({ workerId: 'next', queues: [queue], limit: 1, lockMs: LOCK_MS })).toEqual([]);
  });

  it('fences out the lost worker after a reclaim', async () => {
    const queue = freshQueue('fenced');
    await storage.enqueue([newJob(queue)]);
    const [job] = await storage.claim({ workerId: 'fenced-worker', queues: [queue], limit: 1, lockMs: LOCK_MS });
    await expireLock(job.id, 5_000);
    await storage.reclaimStaleLocks(0, 100);
    const [second] = await storage.claim({ workerId: 'new-worker', queues: [queue], limit: 1, lockMs: LOCK_MS });
    expect(second.attempt).toBe(2);

    const late = await storage.recordOutcomes([{ ...tokenOf(job), kind: 'completed', resultJson: '"late"' }]);
    expect(late).toEqual([]);
    expect(await storage.heartbeat('fenced-worker', LOCK_MS)).toEqual([]);
    const stored = await storage.getJob(job.id);
    expect(stored?.status).toBe(JobStatus.Running);
    expect(stored?.lockedBy).toBe('new-worker');
  });

  it('reclaims no more than the limit per call', async () => {
    const queue = freshQueue('limit');
    await storage.enqueue([newJob(queue), newJob(queue), newJob(queue)]);
    const claimed = await storage.claim({ workerId: 'lost-worker', queues: [queue], limit: 3, lockMs: LOCK_MS });
    for (const job of claimed) await expireLock(job.id, 5_000);
    expect(await storage.reclaimStaleLocks(0, 2)).toHaveLength(2);
    expect(await storage.reclaimStaleLocks(0, 2)).toHaveLength(1);
  });
});
