import { Injectable } from '@nestjs/common';
import {
  InvalidOptionError,
  InvalidPayloadError,
  JobCompleted,
  JobFailed,
  JobHandler,
  type EnqueueOptions,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, createTestApp, type TestApp } from '../support/test-app.js';

const NUL_TEXT = 'before\u0000after \u{1F600} \uD800 lone surrogate';

@Injectable()
class PayloadJobs {
  @JobHandler('mirror')
  async mirror(args: unknown): Promise<unknown> {
    return args;
  }

  @JobHandler('nul-error', { retries: 0 })
  async nulError(): Promise<void> {
    throw new Error(`bad byte: ${NUL_TEXT}`);
  }

  @JobHandler('bigint-result', { retries: 3 })
  async bigintResult(): Promise<unknown> {
    return { total: 10n };
  }
}

describe.each(testDialects())('bad input on %s', (dialect) => {
  let harness: TestApp;
  let events: EventRecorder;

  beforeAll(async () => {
    harness = await createTestApp(dialect, { providers: [PayloadJobs] });
    events = new EventRecorder(harness.queue);
  });

  afterAll(async () => {
    events?.stop();
    await harness?.close();
  });

  async function expectRejected(
    type: string,
    args: unknown,
    options: EnqueueOptions,
    errorClass: typeof InvalidOptionError | typeof InvalidPayloadError,
    message: RegExp,
  ): Promise<void> {
    const before = (await harness.queue.storage.listJobs({ limit: 10_000 })).length;
    const attempt = harness.queue.enqueue(type, args, options);
    await expect(attempt).rejects.toBeInstanceOf(errorClass);
    await expect(attempt).rejects.toThrow(message);
    expect((await harness.queue.storage.listJobs({ limit: 10_000 })).length).toBe(before);
  }

  it.each<[string, EnqueueOptions, RegExp]>([
    ['negative retries', { retries: -1 }, /Invalid retries -1: must be between 0 and 1000000/],
    ['fractional retries', { retries: 1.5 }, /Invalid retries 1.5: must be an integer/],
    ['fractional priority', { priority: 0.5 }, /Invalid priority 0.5: must be an integer/],
    ['control character in queue', { queue: 'mail\nqueue' }, /Invalid queue "mail\\nqueue": contains the control character U\+000A at index 4/],
    ['queue over 255 characters', { queue: 'q'.repeat(256) }, /Invalid queue "q{60}…": is 256 characters long; the maximum is 255/],
    ['empty queue', { queue: '' }, /Invalid queue "": must not be empty/],
    ['unparsable delay', { delay: 'soonish' }, /Invalid delay "soonish": not a duration; use milliseconds or a string such as '250ms'/],
    ['negative delay', { delay: -5 }, /Invalid delay -5: must not be negative/],
    ['NaN delay', { delay: Number.NaN }, /Invalid delay NaN: not a duration/],
    ['invalid date', { at: new Date('nope') }, /Invalid at Invalid Date: is not a valid date/],
    ['unparsable date string', { at: 'next tuesday' }, /Invalid at "next tuesday": is not a valid date/],
    ['delay and at together', { at: new Date(), delay: '1s' }, /cannot be combined with delay/],
    ['unique key with NUL', { unique: 'key\u0000' }, /Invalid unique key "key\\u0000": contains the control character U\+0000/],
    ['bad backoff multiplier', { backoff: { multiplier: 0.5 } }, /Invalid backoff.multiplier 0.5: must be a finite number of at least 1/],
  ])('rejects %s', async (_name, options, message) => {
    await expectRejected('mirror', {}, options, InvalidOptionError, message);
  });

  it('rejects a job type with a control character or over 255 characters', async () => {
    await expectRejected('send\temail', {}, {}, InvalidOptionError, /Invalid job type "send\\temail": contains the control character U\+0009/);
    await expectRejected('t'.repeat(300), {}, {}, InvalidOptionError, /is 300 characters long; the maximum is 255/);
  });

  it('rejects BigInt args and names the path', async () => {
    await expectRejected('mirror', { order: { total: 5n } }, {}, InvalidPayloadError, /Invalid args at args.order.total: BigInt 5n has no JSON form; pass it as a string/);
  });

  it('rejects circular args', async () => {
    const node: Record<string, unknown> = { name: 'loop' };
    node.self = node;
    await expectRejected('mirror', node, {}, InvalidPayloadError, /Invalid args at args.self: circular reference/);
  });

  it.each<[string, unknown, RegExp]>([
    ['NaN', { value: Number.NaN }, /args.value: NaN is not a finite number/],
    ['Infinity', { value: Infinity }, /args.value: Infinity is not a finite number/],
    ['a function', { value: () => 1 }, /args.value: a function has no JSON form/],
    ['a Map', { value: new Map() }, /args.value: a Map has no JSON form/],
    ['undefined in an array', { list: [1, undefined] }, /args.list\[1\]: undefined inside an array would become null/],
  ])('rejects args containing %s', async (_name, args, message) => {
    await expectRejected('mirror', args, {}, InvalidPayloadError, message);
  });

  it('round-trips NUL, emoji and lone surrogates in args and results', async () => {
    const args = { text: NUL_TEXT, list: [NUL_TEXT, { deep: '\u0000' }], empty: '' };
    const id = await harness.queue.enqueue('mirror', args);
    const completed = await events.waitFor(JobCompleted, id);
    expect(completed.result).toEqual(args);
    const stored = await harness.queue.getJob(id);
    expect(stored?.args).toEqual(args);
    expect(stored?.result).toEqual(args);
  });

  it('stores Date args in their JSON form', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const id = await harness.queue.enqueue('mirror', { at });
    await events.waitFor(JobCompleted, id);
    expect((await harness.queue.getJob(id))?.args).toEqual({ at: '2026-01-02T03:04:05.678Z' });
  });

  it('round-trips NUL in error messages', async () => {
    const id = await harness.queue.enqueue('nul-error', {});
    const failed = await events.waitFor(JobFailed, id);
    expect(failed.error).toBe(`bad byte: ${NUL_TEXT}`);
    expect((await harness.queue.getJob(id))?.lastError).toBe(`bad byte: ${NUL_TEXT}`);
  });

  it('fails without retry when a result has no JSON form', async () => {
    const id = await harness.queue.enqueue('bigint-result', {});
    const failed = await events.waitFor(JobFailed, id);
    expect(failed.error).toMatch(/Invalid result at result.total: BigInt 10n has no JSON form/);
    expect((await harness.queue.getJob(id))?.attempt).toBe(1);
  });
});
