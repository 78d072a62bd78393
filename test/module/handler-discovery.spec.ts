import { Injectable, Scope } from '@nestjs/common';
import { IsEmail, IsInt, IsString, Min } from 'class-validator';
import {
  ArgsValidationError,
  HandlerRegistrationError,
  JobCompleted,
  JobContext,
  JobFailed,
  JobHandler,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, createTestApp, type TestApp } from '../support/test-app.js';

class SendEmailArgs {
  @IsEmail()
  to!: string;

  @IsString()
  subject!: string;

  @IsInt()
  @Min(1)
  copies!: number;
}

@Injectable()
class EmailJobs {
  @JobHandler('send-email', { args: SendEmailArgs, queue: 'emails' })
  async send(args: SendEmailArgs): Promise<{ isDto: boolean; to: string }> {
    return { isDto: args instanceof SendEmailArgs, to: args.to };
  }
}

/** Built by a factory, so Nest registers only the token, not the class. */
class ReportJobs {
  constructor(private readonly prefix: string) {}

  @JobHandler('build-report')
  async build(args: { name: string }, ctx: JobContext): Promise<string> {
    return `${this.prefix}${args.name}@${ctx.attempt}`;
  }
}

describe.each(testDialects())('handler discovery on %s', (dialect) => {
  let harness: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    harness = await createTestApp(dialect, {
      providers: [EmailJobs, { provide: 'REPORTS', useFactory: () => new ReportJobs('report:') }],
    });
    events = new EventRecorder(harness.queue);
  });

  afterAll(async () => {
    events?.stop();
    await harness?.close();
  });

  it('runs handlers of class providers in their queue', async () => {
    const id = await harness.queue.enqueue('send-email', { to: 'ada@example.com', subject: 'Hi', copies: 1 });
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toEqual({ isDto: true, to: 'ada@example.com' });
    expect(completed.job.queue).toBe('emails');
  });

  it('runs handlers of factory providers', async () => {
    const id = await harness.queue.enqueue('build-report', { name: 'q3' });
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toBe('report:q3@1');
  });

  it('rejects invalid DTO args at enqueue with every violation', async () => {
    const attempt = harness.queue.enqueue('send-email', { to: 'not-an-email', subject: 7, copies: 0 });
    await expect(attempt).rejects.toBeInstanceOf(ArgsValidationError);
    const error = (await attempt.catch((caught) => caught)) as ArgsValidationError;
    expect(error.violations.map((violation) => violation.property).sort()).toEqual(['copies', 'subject', 'to']);
    expect(error.message).toContain('Invalid args for job type "send-email"');
    expect(error.message).toContain('to must be an email');
    expect(error.message).toContain('copies must not be less than 1');
    expect(await harness.queue.storage.listJobs({ type: 'send-email', status: undefined })).toHaveLength(1);
  });

  it('validates args again before the handler runs', async () => {
    // Written straight to storage, as a producer without the DTO would, so enqueue cannot check it.
    const [{ id }] = await harness.queue.storage.enqueue([
      {
        id: '01900000-0000-7000-8000-000000000001',
        type: 'send-email',
        queue: 'emails',
        argsJson: JSON.stringify({ to: 'broken', subject: 'x', copies: 1 }),
        priority: 0,
        maxRetries: 3,
        uniqueKey: null,
        backoff: null,
        runAt: null,
        delayMs: 0,
      },
    ]);
    harness.queue.wakeup.notify('emails');
    const failed = await events.waitFor(JobFailed, id);
    expect(failed.error).toContain('to must be an email');
    expect(failed.job.attempt).toBe(1);
  });

  it('supports the four handler shapes of queue.register', async () => {
    const seen: string[] = [];
    harness.queue.register('args-only-void', (args: { tag: string }) => {
      seen.push(args.tag);
    });
    harness.queue.register('args-only-result', async (args: { n: number }) => args.n * 2);
    harness.queue.register('with-context-void', async (_args: unknown, ctx: JobContext) => {
      seen.push(ctx.jobId);
    });
    harness.queue.register('with-context-result', (args: { n: number }, ctx: JobContext) => `${args.n}:${ctx.attempt}`);

    const ids = await Promise.all([
      harness.queue.enqueue('args-only-void', { tag: 'a' }),
      harness.queue.enqueue('args-only-result', { n: 21 }),
      harness.queue.enqueue('with-context-void', {}),
      harness.queue.enqueue('with-context-result', { n: 5 }),
    ]);
    const results = await Promise.all(ids.map((id) => events.waitFor(JobCompleted, id)));
    expect(results.map((event) => event.result)).toEqual([null, 42, null, '5:1']);
    // The four jobs may be claimed in separate claims, so the handlers may start in any order.
    expect([...seen].sort()).toEqual(['a', ids[2]].sort());
  });

  it('rejects a second handler with the same name', () => {
    expect(() => harness.queue.register('send-email', async () => undefined)).toThrow(
      /Job handler "send-email" is registered twice: by EmailJobs.send and by queue.register\('send-email'\)/,
    );
  });
});

describe('boot failures', () => {
  const dialect = testDialects()[0];

  it('fails the boot on duplicate @JobHandler names', async () => {
    @Injectable()
    class First {
      @JobHandler('same-name')
      async run(): Promise<void> {}
    }
    @Injectable()
    class Second {
      @JobHandler('same-name')
      async run(): Promise<void> {}
    }
    const boot = createTestApp(dialect, { providers: [First, Second] });
    await expect(boot).rejects.toThrow(HandlerRegistrationError);
    await expect(boot).rejects.toThrow(/registered twice: by First.run and by Second.run.*rename one/);
  });

  it('fails the boot on a malformed handler name', async () => {
    @Injectable()
    class BadName {
      @JobHandler('bad\u0007name')
      async run(): Promise<void> {}
    }
    await expect(createTestApp(dialect, { providers: [BadName] })).rejects.toThrow(
      /Invalid job handler BadName.run: Invalid job type "bad\\u0007name": contains the control character U\+0007/,
    );
  });

  it('fails the boot on a handler with too many parameters', async () => {
    @Injectable()
    class TooMany {
      @JobHandler('too-many')
      async run(_a: unknown, _b: unknown, _c: unknown): Promise<void> {}
    }
    await expect(createTestApp(dialect, { providers: [TooMany] })).rejects.toThrow(
      /TooMany.run: it declares 3 parameters; handlers take \(args, ctx: JobContext\)/,
    );
  });

  it('fails the boot on invalid handler options', async () => {
    @Injectable()
    class NegativeRetries {
      @JobHandler('negative', { retries: -1 })
      async run(): Promise<void> {}
    }
    await expect(createTestApp(dialect, { providers: [NegativeRetries] })).rejects.toThrow(
      /NegativeRetries.run: Invalid handler retries -1: must be between 0 and/,
    );
  });

  it('fails the boot on a request-scoped handler provider', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @JobHandler('per-request')
      async run(): Promise<void> {}
    }
    await expect(createTestApp(dialect, { providers: [PerRequest] })).rejects.toThrow(
      /PerRequest.run is on a request-scoped or transient provider/,
    );
  });
});
