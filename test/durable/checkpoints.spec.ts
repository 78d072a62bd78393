import { Injectable } from '@nestjs/common';
import {
  CheckpointSaved,
  DeterminismError,
  JobCompleted,
  JobContext,
  JobFailed,
  JobHandler,
  JobStatus,
  NotInJobContextError,
  call,
  loadPhaseCheckpoint,
  noRetry,
  savePhaseCheckpoint,
  step,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, createTestApp, type TestApp } from '../support/test-app.js';

const FAST_RETRY = { initial: 1, max: 5, jitter: 0 };

@Injectable()
class WorkflowJobs {
  runs = new Map<string, number>();

  count(key: string): number {
    const runs = (this.runs.get(key) ?? 0) + 1;
    this.runs.set(key, runs);
    return runs;
  }

  @JobHandler('reserve-stock')
  async reserve(args: { order: string }, ctx: JobContext): Promise<string> {
    this.count(`reserve:${ctx.jobId}`);
    return `reserved:${args.order}`;
  }

  @JobHandler('charge-card')
  async charge(args: { reservation: string }, ctx: JobContext): Promise<string> {
    this.count(`charge:${ctx.jobId}`);
    return `charged:${args.reservation}`;
  }

  @JobHandler('ship-order')
  async ship(args: { payment: string }, ctx: JobContext): Promise<string> {
    this.count(`ship:${ctx.jobId}`);
    return `shipped:${args.payment}`;
  }

  @JobHandler('order-workflow', { retries: 3, backoff: FAST_RETRY })
  async workflow(args: { order: string }, ctx: JobContext): Promise<string> {
    const reservation = await ctx.call<string>('reserve-stock', { order: args.order });
    const payment = await ctx.call<string>('charge-card', { reservation });
    if (ctx.attempt === 1) throw new Error('crash after step 2');
    return ctx.call<string>('ship-order', { payment });
  }

  @JobHandler('inline-steps', { retries: 2, backoff: FAST_RETRY })
  async inlineSteps(_args: unknown, ctx: JobContext): Promise<number[]> {
    const first = await ctx.step('first', () => this.count(`first:${ctx.jobId}`));
    // The free form finds the job through AsyncLocalStorage.
    const second = await step('second', async () => this.count(`second:${ctx.jobId}`) * 10);
    if (ctx.attempt < 3) throw new Error(`transient failure ${ctx.attempt}`);
    const third = await step('second', async () => this.count(`second-again:${ctx.jobId}`) * 100);
    return [first, second, third];
  }

  @JobHandler('always-declines')
  async declines(_args: unknown, ctx: JobContext): Promise<never> {
    this.count(`declines:${ctx.jobId}`);
    throw noRetry(new Error('card declined'));
  }

  @JobHandler('replays-permanent-error', { retries: 1, backoff: FAST_RETRY })
  async replaysError(_args: unknown, ctx: JobContext): Promise<string> {
    let message = '';
    try {
      await call('always-declines', {});
    } catch (error) {
      message = (error as Error).message;
    }
    if (ctx.attempt === 1) throw new Error('retry to replay the stored error');
    return message;
  }

  @JobHandler('reorders-steps', { retries: 1, backoff: FAST_RETRY })
  async reorders(_args: unknown, ctx: JobContext): Promise<void> {
    if (ctx.attempt === 1) {
      await ctx.step('a', () => 'A');
      await ctx.step('b', () => 'B');
      throw new Error('fail so the next run replays');
    }
    await ctx.step('b', () => 'B');
    await ctx.step('a', () => 'A');
  }

  @JobHandler('phases', { retries: 1, backoff: FAST_RETRY })
  async phases(_args: unknown, ctx: JobContext): Promise<unknown> {
    const before = await loadPhaseCheckpoint<{ rows: number }>('import');
    if (!before.found) {
      await savePhaseCheckpoint('import', { rows: 42 });
      await ctx.savePhaseCheckpoint('import', { rows: 43 });
      throw new Error('crash after the phase');
    }
    const missing = await ctx.loadPhaseCheckpoint('never-saved');
    return { before, missing };
  }
}

describe.each(testDialects())('durable calls and steps on %s', (dialect) => {
  let harness: TestApp;
  let jobs: WorkflowJobs;
  let events: EventRecorder;

  beforeAll(async () => {
    harness = await createTestApp(dialect, { providers: [WorkflowJobs] });
    jobs = harness.app.get(WorkflowJobs);
    events = new EventRecorder(harness.queue);
  });

  afterAll(async () => {
    events?.stop();
    await harness?.close();
  });

  it('runs each step of a failed workflow once', async () => {
    const id = await harness.queue.enqueue('order-workflow', { order: 'A-1' });
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toBe('shipped:charged:reserved:A-1');
    expect(completed.job.attempt).toBe(2);
    expect(jobs.runs.get(`reserve:${id}`)).toBe(1);
    expect(jobs.runs.get(`charge:${id}`)).toBe(1);
    expect(jobs.runs.get(`ship:${id}`)).toBe(1);

    const saved = events.events.filter((event) => event instanceof CheckpointSaved && event.jobId === id) as CheckpointSaved[];
    expect(saved.map((event) => event.key)).toEqual(['call:reserve-stock#1', 'call:charge-card#1', 'call:ship-order#1']);
  });

  it('replays inline steps by name and occurrence', async () => {
    const id = await harness.queue.enqueue('inline-steps', {});
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toEqual([1, 10, 100]);
    expect(jobs.runs.get(`first:${id}`)).toBe(1);
    expect(jobs.runs.get(`second:${id}`)).toBe(1);
    expect(jobs.runs.get(`second-again:${id}`)).toBe(1);
  });

  it('replays a stored permanent error', async () => {
    const id = await harness.queue.enqueue('replays-permanent-error', {});
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toBe('card declined');
    expect(completed.job.attempt).toBe(2);
    expect(jobs.runs.get(`declines:${id}`)).toBe(1);
  });

  it('fails a run that reorders its steps', async () => {
    const id = await harness.queue.enqueue('reorders-steps', {});
    const failed = await events.waitFor(JobFailed, id);
    expect(failed.cause).toBeInstanceOf(DeterminismError);
    expect(failed.error).toBe(
      `Job ${id} is not deterministic: durable call number 1 was recorded as step "a" (occurrence 1) ` +
        'but this run made step "b" (occurrence 1). Keep the order of ctx.call() and ctx.step() stable between runs of a job.',
    );
    expect(failed.job.attempt).toBe(2);
  });

  it('saves and loads phase checkpoints by name', async () => {
    const id = await harness.queue.enqueue('phases', {});
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toEqual({ before: { found: true, value: { rows: 43 } }, missing: { found: false } });
  });

  it('rejects the free forms outside a handler', async () => {
    await expect(call('reserve-stock', {})).rejects.toBeInstanceOf(NotInJobContextError);
    await expect(step('x', () => 1)).rejects.toThrow(
      'step() was called outside a job handler. Call it inside a @JobHandler method',
    );
    await expect(savePhaseCheckpoint('x', 1)).rejects.toBeInstanceOf(NotInJobContextError);
    await expect(loadPhaseCheckpoint('x')).rejects.toBeInstanceOf(NotInJobContextError);
  });

  it('keeps each checkpoint in storage', async () => {
    const id = await harness.queue.enqueue('order-workflow', { order: 'B-2' });
    await events.waitFor(JobCompleted, id);
    const checkpoints = await harness.queue.storage.loadCheckpoints(id);
    expect(checkpoints.map((checkpoint) => [checkpoint.key, checkpoint.sequence, checkpoint.valueJson]).sort()).toEqual([
      ['call:charge-card#1', 1, '"charged:reserved:B-2"'],
      ['call:reserve-stock#1', 0, '"reserved:B-2"'],
      ['call:ship-order#1', 2, '"shipped:charged:reserved:B-2"'],
    ]);
    expect((await harness.queue.getJob(id))?.status).toBe(JobStatus.Completed);
  });
});
