import { Injectable } from '@nestjs/common';
import { config as rxjsConfig, firstValueFrom, take, toArray } from 'rxjs';
import {
  CustomEvent,
  JobCompleted,
  JobContext,
  JobEnqueued,
  JobFailed,
  JobHandler,
  JobRetrying,
  JobStarted,
  OnJobEvent,
  ofKind,
  type Job,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, createTestApp, type TestApp } from '../support/test-app.js';

@Injectable()
class EventJobs {
  @JobHandler('event-ok')
  async ok(args: { n: number }, ctx: JobContext): Promise<number> {
    ctx.emit('progress', { percent: 50 });
    return args.n;
  }

  @JobHandler('event-fail', { retries: 1, backoff: { initial: 1, max: 1, jitter: 0 } })
  async fail(): Promise<void> {
    throw new Error('nope');
  }
}

@Injectable()
class EventListeners {
  failures: JobFailed[] = [];
  finished: string[] = [];

  @OnJobEvent(JobFailed)
  onFailed(event: JobFailed): void {
    this.failures.push(event);
  }

  @OnJobEvent(JobCompleted, JobFailed)
  async onFinished(event: JobCompleted | JobFailed): Promise<void> {
    this.finished.push(event.kind);
  }

  @OnJobEvent(JobStarted)
  explode(): void {
    throw new Error('listener bug');
  }

  @OnJobEvent(JobCompleted)
  async explodeLater(): Promise<void> {
    throw new Error('async listener bug');
  }
}

describe.each(testDialects())('events on %s', (dialect) => {
  let harness: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    harness = await createTestApp(dialect, { providers: [EventJobs, EventListeners] });
    events = new EventRecorder(harness.queue);
  });

  afterAll(async () => {
    events?.stop();
    await harness?.close();
  });

  it('emits typed events through the job lifecycle', async () => {
    const id = await harness.queue.enqueue('event-ok', { n: 3 }, { priority: 4 });
    await events.waitFor(JobCompleted, id);

    const enqueued = events.of(JobEnqueued, id)[0];
    expect(enqueued).toBeInstanceOf(JobEnqueued);
    expect(enqueued.type).toBe('event-ok');
    expect(enqueued.queue).toBe('default');
    expect(enqueued.priority).toBe(4);

    const started = events.of(JobStarted, id)[0];
    expect(started.job.status).toBe('running');
    expect(started.workerId).toMatch(/^worker@/);

    const custom = events.events.find((event) => event instanceof CustomEvent && event.jobId === id) as CustomEvent;
    expect(custom.kind).toBe('progress');
    expect(custom.data).toEqual({ percent: 50 });

    const completed = events.of(JobCompleted, id)[0];
    expect(completed.result).toBe(3);
    expect(typeof completed.durationMs).toBe('number');
  });

  it('filters by class with ofKind', async () => {
    const failures = firstValueFrom(harness.queue.events$.pipe(ofKind(JobRetrying, JobFailed), take(2), toArray()));
    const id = await harness.queue.enqueue('event-fail', {});
    const [first, second] = await failures;
    expect(first).toBeInstanceOf(JobRetrying);
    expect((first as JobRetrying).attempt).toBe(1);
    expect(second).toBeInstanceOf(JobFailed);
    expect(second.jobId).toBe(id);
  });

  it('delivers events to @OnJobEvent methods', async () => {
    const listeners = harness.app.get(EventListeners);
    const id = await harness.queue.enqueue('event-fail', {}, { retries: 0 });
    await events.waitFor(JobFailed, id);
    expect(listeners.failures.map((event) => event.jobId)).toContain(id);
    expect(listeners.finished).toContain('job.failed');
  });

  it('calls hooks until disposed', async () => {
    const started: string[] = [];
    const completed: string[] = [];
    const failed: Array<[string, string]> = [];
    const retried: Array<[string, number]> = [];
    const disposers = [
      harness.queue.onJobStart((job: Job) => void started.push(job.id)),
      harness.queue.onJobComplete((job: Job) => void completed.push(job.id)),
      harness.queue.onJobFail((job: Job, error: unknown) => void failed.push([job.id, (error as Error).message])),
      harness.queue.onRetry((job: Job, attempt: number) => void retried.push([job.id, attempt])),
    ];

    const ok = await harness.queue.enqueue('event-ok', { n: 1 });
    const bad = await harness.queue.enqueue('event-fail', {});
    await events.waitFor(JobCompleted, ok);
    await events.waitFor(JobFailed, bad);
    expect(started).toEqual(expect.arrayContaining([ok, bad]));
    expect(completed).toEqual([ok]);
    expect(failed).toEqual([[bad, 'nope']]);
    expect(retried).toEqual([[bad, 1]]);

    for (const dispose of disposers) dispose();
    const after = await harness.queue.enqueue('event-ok', { n: 2 });
    await events.waitFor(JobCompleted, after);
    expect(completed).toEqual([ok]);
    expect(started).not.toContain(after);
  });

  it('keeps working when subscribers, hooks and listeners throw', async () => {
    const subscription = harness.queue.events$.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const disposeSync = harness.queue.onJobStart(() => {
      throw new Error('hook bug');
    });
    const disposeAsync = harness.queue.onJobComplete(async () => {
      throw new Error('async hook bug');
    });

    const first = await harness.queue.enqueue('event-ok', { n: 10 });
    const second = await harness.queue.enqueue('event-ok', { n: 20 });
    expect((await events.waitFor(JobCompleted, first)).result).toBe(10);
    expect((await events.waitFor(JobCompleted, second)).result).toBe(20);

    subscription.unsubscribe();
    disposeSync();
    disposeAsync();
    expect(rxjsConfig.onUnhandledError).toEqual(expect.any(Function));
  });

  it('emits and emitCustomEvent reach subscribers', async () => {
    const received = firstValueFrom(harness.queue.events$.pipe(ofKind(CustomEvent), take(2), toArray()));
    harness.queue.emitCustomEvent('job-1', 'audit', { by: 'test' });
    harness.queue.emit(new CustomEvent('job-2', 'manual', {}));
    const [first, second] = await received;
    expect([first.jobId, first.kind, first.data]).toEqual(['job-1', 'audit', { by: 'test' }]);
    expect([second.jobId, second.kind]).toEqual(['job-2', 'manual']);
  });
});
