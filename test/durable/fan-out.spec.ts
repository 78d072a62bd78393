import { Injectable } from '@nestjs/common';
import {
  FanOutFailedError,
  FanOutTimeoutError,
  JobCompleted,
  JobContext,
  JobFailed,
  JobHandler,
  JobStatus,
  JobSuspended,
  TypeOrmJobStorage,
  allSucceeded,
  cancelOnParentFailure,
  collectAll,
  fanOut,
  fanOutQueue,
  fanOutRetries,
  fanOutTimeout,
  partition,
  sub,
  successCount,
  threshold,
  values,
  type FanOutResult,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

const FAST_RETRY = { initial: 1, max: 5, jitter: 0 };

@Injectable()
class FanOutJobs {
  runs = new Map<string, number>();

  count(key: string): number {
    const runs = (this.runs.get(key) ?? 0) + 1;
    this.runs.set(key, runs);
    return runs;
  }

  @JobHandler('square', { backoff: FAST_RETRY })
  async square(args: { n: number; fail?: boolean; failTimes?: number }, ctx: JobContext): Promise<number> {
    const runs = this.count(`square:${ctx.jobId}`);
    if (args.fail) throw new Error(`cannot square ${args.n}`);
    if (args.failTimes && runs <= args.failTimes) throw new Error(`flaky ${runs}`);
    return args.n * args.n;
  }

  @JobHandler('sum-of-squares', { retries: 0 })
  async sumOfSquares(args: { numbers: number[]; fail?: number[] }, ctx: JobContext): Promise<unknown> {
    this.count(`parent:${ctx.jobId}`);
    const prepared = await ctx.step('prepare', () => this.count(`prepare:${ctx.jobId}`));
    const results = await ctx.fanOut<number>(
      args.numbers.map((n) => sub('square', { n, fail: args.fail?.includes(n) })),
    );
    return { prepared, squares: values(results), total: values(results).reduce((sum, value) => sum + value, 0) };
  }

  @JobHandler('collect-squares', { retries: 0 })
  async collect(args: { numbers: number[]; fail: number[] }): Promise<unknown> {
    const results = await fanOut<number>(
      args.numbers.map((n) => sub('square', { n, fail: args.fail.includes(n) })),
      collectAll(),
    );
    const [succeeded, failed] = partition(results);
    return {
      succeeded,
      failed: failed.map((error) => [error.index, error.message]),
      all: allSucceeded(results),
      count: successCount(results),
    };
  }

  @JobHandler('threshold-squares', { retries: 0 })
  async thresholdSquares(args: { numbers: number[]; fail: number[]; share: number }): Promise<number> {
    const results = await fanOut<number>(
      args.numbers.map((n) => sub('square', { n, fail: args.fail.includes(n) })),
      threshold(args.share),
    );
    return successCount(results);
  }

  @JobHandler('routed-squares', { retries: 0 })
  async routed(args: { numbers: number[] }): Promise<FanOutResult<number>[]> {
    return fanOut<number>(
      args.numbers.map((n) => sub('square', { n, failTimes: 2 })),
      fanOutQueue('squares'),
      fanOutRetries(2),
    );
  }

  @JobHandler('wait-forever', { queue: 'nobody-works-here' })
  async waitForever(): Promise<void> {}

  @JobHandler('times-out', { retries: 0 })
  async timesOut(): Promise<void> {
    await fanOut([sub('wait-forever', {})], fanOutTimeout('300ms'));
  }

  @JobHandler('cancels-on-failure', { retries: 0 })
  async cancelsOnFailure(): Promise<void> {
    await fanOut(
      [sub('square', { n: 1, fail: true }), sub('wait-forever', {}), sub('wait-forever', {})],
      cancelOnParentFailure(),
    );
  }

  @JobHandler('nested-parent', { retries: 0 })
  async nestedParent(): Promise<number[]> {
    const results = await fanOut<number>([sub('nested-child', { base: 1 }), sub('nested-child', { base: 2 })]);
    return values(results);
  }

  @JobHandler('nested-child', { retries: 0 })
  async nestedChild(args: { base: number }): Promise<number> {
    const results = await fanOut<number>([sub('square', { n: args.base }), sub('square', { n: args.base + 10 })]);
    return values(results).reduce((sum, value) => sum + value, 0);
  }

  @JobHandler('waits-on-doomed', { retries: 0 })
  async waitsOnDoomed(): Promise<FanOutResult<number>[]> {
    return fanOut<number>([sub('square', { n: 3 }), sub('wait-forever', {})], collectAll());
  }
}

describe.each(testDialects())('fan-out on %s', (dialect) => {
  let harness: TestApp;
  let jobs: FanOutJobs;
  let events: EventRecorder;

  beforeAll(async () => {
    harness = await createTestApp(dialect, {
      providers: [FanOutJobs],
      options: {
        workers: [
          {
            ...FAST_WORKER,
            queues: { default: { concurrency: 20 }, squares: { concurrency: 5 } },
            staleLockInterval: 50,
            staleLockAge: 0,
          },
        ],
      },
    });
    jobs = harness.app.get(FanOutJobs);
    events = new EventRecorder(harness.queue);
  });

  afterAll(async () => {
    events?.stop();
    await harness?.close();
  });

  it('returns results in sub order after suspending', async () => {
    const id = await harness.queue.enqueue('sum-of-squares', { numbers: [1, 2, 3, 4] });
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toEqual({ prepared: 1, squares: [1, 4, 9, 16], total: 30 });
    expect(jobs.runs.get(`parent:${id}`)).toBe(2);
    expect(jobs.runs.get(`prepare:${id}`)).toBe(1);
    expect(events.of(JobSuspended, id)).toHaveLength(1);
    // The suspension does not use up an attempt.
    expect(completed.job.attempt).toBe(1);

    const children = await harness.queue.storage.listJobs({ type: 'square', limit: 1000 });
    expect(children.filter((child) => child.parentJobId === id)).toHaveLength(4);
  });

  it('fails fast on the first failed sub-job', async () => {
    const id = await harness.queue.enqueue('sum-of-squares', { numbers: [5, 6, 7], fail: [6] });
    const failed = await events.waitFor(JobFailed, id);
    expect(failed.cause).toBeInstanceOf(FanOutFailedError);
    expect(failed.error).toMatch(/^Fan-out fanout#1 failed: 1 of 3 sub-jobs failed; the first, \S+ at index 1: cannot square 6$/);
  });

  it('collects every result with collectAll', async () => {
    const id = await harness.queue.enqueue('collect-squares', { numbers: [1, 2, 3], fail: [2] });
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toEqual({ succeeded: [1, 9], failed: [[1, 'cannot square 2']], all: false, count: 2 });
  });

  it('succeeds once the threshold is reached', async () => {
    const id = await harness.queue.enqueue('threshold-squares', { numbers: [1, 2, 3, 4], fail: [4], share: 0.75 });
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toBeGreaterThanOrEqual(3);
  });

  it('fails once the threshold cannot be reached', async () => {
    const id = await harness.queue.enqueue('threshold-squares', { numbers: [1, 2, 3, 4], fail: [1, 2], share: 0.75 });
    const failed = await events.waitFor(JobFailed, id);
    expect(failed.cause).toBeInstanceOf(FanOutFailedError);
  });

  it('honours fanOutQueue and fanOutRetries', async () => {
    const id = await harness.queue.enqueue('routed-squares', { numbers: [2, 3] });
    const completed = await events.waitFor(JobCompleted, id);
    expect(values(completed.result as FanOutResult<number>[])).toEqual([4, 9]);
    const children = (await harness.queue.storage.listJobs({ queue: 'squares', limit: 100 })).filter(
      (child) => child.parentJobId === id,
    );
    expect(children.map((child) => [child.maxRetries, child.attempt, child.status])).toEqual([
      [2, 3, JobStatus.Completed],
      [2, 3, JobStatus.Completed],
    ]);
  });

  it('fails the parent when the fan-out times out', async () => {
    const id = await harness.queue.enqueue('times-out', {});
    const failed = await events.waitFor(JobFailed, id);
    expect(failed.cause).toBeInstanceOf(FanOutTimeoutError);
    expect(failed.error).toBe('Fan-out fanout#1 timed out with 0 of 1 sub-jobs finished');
  });

  it('cancels live sub-jobs when the parent fails', async () => {
    const id = await harness.queue.enqueue('cancels-on-failure', {});
    await events.waitFor(JobFailed, id);
    const children = (await harness.queue.storage.listJobs({ limit: 1000 })).filter((child) => child.parentJobId === id);
    expect(children.map((child) => child.status).sort()).toEqual([JobStatus.Cancelled, JobStatus.Cancelled, JobStatus.Failed]);
    const cancelled = children.find((child) => child.status === JobStatus.Cancelled);
    expect(cancelled?.lastError).toBe(`Cancelled because parent job ${id} failed`);
  });

  it('runs nested fan-outs', async () => {
    const id = await harness.queue.enqueue('nested-parent', {});
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toEqual([1 + 121, 4 + 144]);
  });

  it('counts deleted and cancelled sub-jobs as finished', async () => {
    const storage = harness.queue.storage as TypeOrmJobStorage;
    const deletedParent = await harness.queue.enqueue('waits-on-doomed', {});
    const cancelledParent = await harness.queue.enqueue('waits-on-doomed', {});
    await events.waitUntil(() => events.of(JobSuspended, deletedParent).length + events.of(JobSuspended, cancelledParent).length === 2);

    const waiting = (await harness.queue.storage.listJobs({ type: 'wait-forever', limit: 1000 })).filter(
      (child) => child.parentJobId === deletedParent || child.parentJobId === cancelledParent,
    );
    const [toDelete, toCancel] = [
      waiting.find((child) => child.parentJobId === deletedParent)!,
      waiting.find((child) => child.parentJobId === cancelledParent)!,
    ];
    const placeholder = dialect === 'postgres' ? '$1' : '?';
    await storage.dataSource.query(`DELETE FROM durable_jobs WHERE id = ${placeholder}`, [toDelete.id]);
    await storage.dataSource.query(`UPDATE durable_jobs SET status = 'cancelled' WHERE id = ${placeholder}`, [toCancel.id]);

    const afterDelete = await events.waitFor(JobCompleted, deletedParent);
    const afterCancel = await events.waitFor(JobCompleted, cancelledParent);
    const deletedResults = afterDelete.result as FanOutResult<number>[];
    expect(deletedResults[0]).toMatchObject({ ok: true, value: 9 });
    expect(deletedResults[1]).toMatchObject({ ok: false, error: 'sub-job was deleted', finished: true });
    expect((afterCancel.result as FanOutResult<number>[])[1]).toMatchObject({ ok: false, status: JobStatus.Cancelled, finished: true });
  });
});
