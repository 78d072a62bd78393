import { defaultRetryConfig, InvalidOptionError } from '../../lib/index.js';
import { resolveRetryConfig, retryDelayMs, type ResolvedRetryConfig } from '../../lib/common/retry-config.js';
import { retry, sleep } from '../../lib/common/retry.js';
import { resolveWorkerOptions } from '../../lib/worker/worker-options.resolver.js';

const NO_JITTER: ResolvedRetryConfig = {
  maxAttempts: 5,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  backoffMultiplier: 2,
  jitterFraction: 0,
};

describe('defaultRetryConfig', () => {
  it('has the documented defaults', () => {
    expect(defaultRetryConfig()).toEqual({
      maxAttempts: 5,
      initialBackoff: 100,
      maxBackoff: 5_000,
      backoffMultiplier: 2,
      jitterFraction: 0.1,
    });
  });

  it('returns a fresh object each time', () => {
    const first = defaultRetryConfig();
    first.maxAttempts = 99;
    expect(defaultRetryConfig().maxAttempts).toBe(5);
  });
});

describe('resolveRetryConfig', () => {
  it('fills gaps from the defaults', () => {
    expect(resolveRetryConfig({ maxAttempts: 3 }, 'retry')).toEqual({
      maxAttempts: 3,
      initialBackoffMs: 100,
      maxBackoffMs: 5_000,
      backoffMultiplier: 2,
      jitterFraction: 0.1,
    });
  });

  it('parses duration strings', () => {
    const resolved = resolveRetryConfig({ initialBackoff: '250ms', maxBackoff: '5s' }, 'retry');
    expect(resolved.initialBackoffMs).toBe(250);
    expect(resolved.maxBackoffMs).toBe(5_000);
  });

  it('keeps a default for an undefined field', () => {
    expect(resolveRetryConfig({ maxAttempts: undefined }, 'retry').maxAttempts).toBe(5);
  });

  it.each([
    [{ maxAttempts: 0 }, 'retry.maxAttempts'],
    [{ maxAttempts: 2.5 }, 'retry.maxAttempts'],
    [{ maxAttempts: 1_001 }, 'retry.maxAttempts'],
    [{ initialBackoff: 'soon' }, 'retry.initialBackoff'],
    [{ maxBackoff: -1 }, 'retry.maxBackoff'],
    [{ backoffMultiplier: 0.5 }, 'retry.backoffMultiplier'],
    [{ backoffMultiplier: Number.NaN }, 'retry.backoffMultiplier'],
    [{ jitterFraction: 1.5 }, 'retry.jitterFraction'],
    [{ jitterFraction: -0.1 }, 'retry.jitterFraction'],
    [{ initialBackoff: '10s', maxBackoff: '5s' }, 'retry.maxBackoff'],
  ])('rejects %j naming %s', (config, field) => {
    let caught: unknown;
    try {
      resolveRetryConfig(config as never, 'retry');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionError);
    expect((caught as InvalidOptionError).field).toBe(field);
  });

  it('rejects a value that is not an object', () => {
    expect(() => resolveRetryConfig(5 as never, 'retry')).toThrow(/Invalid retry 5: must be an object/);
  });
});

describe('retryDelayMs', () => {
  it('grows from the initial backoff', () => {
    expect([1, 2, 3, 4].map((failures) => retryDelayMs(NO_JITTER, failures))).toEqual([100, 200, 400, 800]);
  });

  it('stays at the maximum once attempts are used up', () => {
    expect(retryDelayMs(NO_JITTER, 5)).toBe(5_000);
    expect(retryDelayMs(NO_JITTER, 1_000)).toBe(5_000);
    expect(retryDelayMs({ ...NO_JITTER, backoffMultiplier: 1 }, 5)).toBe(5_000);
  });

  it('varies by at most the jitter fraction', () => {
    const config = { ...NO_JITTER, jitterFraction: 0.1 };
    expect(retryDelayMs(config, 2, () => 0)).toBe(180);
    expect(retryDelayMs(config, 2, () => 0.999999)).toBe(220);
    expect(retryDelayMs(config, 9, () => 0.999999)).toBe(5_000);
  });
});

describe('retry', () => {
  const fast: ResolvedRetryConfig = { ...NO_JITTER, initialBackoffMs: 1, maxBackoffMs: 2, maxAttempts: 4 };
  const transient = Object.assign(new Error('reset'), { code: 'ECONNRESET' });

  it('returns after transient failures', async () => {
    const attempts: number[] = [];
    const retried: number[] = [];

    const result = await retry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw transient;
        return 'done';
      },
      fast,
      { isRetryable: () => true, onRetry: (_error, attempt) => retried.push(attempt) },
    );

    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
    expect(retried).toEqual([1, 2]);
  });

  it('rethrows after maxAttempts', async () => {
    let calls = 0;
    const attempt = retry(
      async () => {
        calls += 1;
        throw transient;
      },
      fast,
      { isRetryable: () => true },
    );

    await expect(attempt).rejects.toBe(transient);
    expect(calls).toBe(4);
  });

  it('does not retry an error judged permanent', async () => {
    let calls = 0;
    const permanent = new TypeError('bug');
    const attempt = retry(
      async () => {
        calls += 1;
        throw permanent;
      },
      fast,
      { isRetryable: (error) => error !== permanent },
    );

    await expect(attempt).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const slow = { ...fast, initialBackoffMs: 60_000, maxBackoffMs: 60_000 };
    let calls = 0;
    const attempt = retry(
      async () => {
        calls += 1;
        throw transient;
      },
      slow,
      { isRetryable: () => true, onRetry: () => controller.abort(), signal: controller.signal },
    );

    await expect(attempt).rejects.toBe(transient);
    expect(calls).toBe(1);
  });

  it('sleep resolves false when aborted', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBe(false);
    await expect(sleep(1)).resolves.toBe(true);
  });
});

describe('worker retry options', () => {
  it('default to defaultRetryConfig for both', () => {
    const resolved = resolveWorkerOptions({});
    const expected = resolveRetryConfig(defaultRetryConfig(), 'x');
    expect(resolved.storageRetry).toEqual(expected);
    expect(resolved.dequeueRetry).toEqual(expected);
  });

  it('retryAttempts sets storageRetry.maxAttempts', () => {
    const resolved = resolveWorkerOptions({ retryAttempts: 8, storageRetry: { maxBackoff: '2s' } });
    expect(resolved.storageRetry?.maxAttempts).toBe(8);
    expect(resolved.storageRetry?.maxBackoffMs).toBe(2_000);
    expect(resolved.dequeueRetry?.maxAttempts).toBe(5);
  });

  it('disableRetry turns both off', () => {
    const resolved = resolveWorkerOptions({ disableRetry: true });
    expect(resolved.storageRetry).toBeNull();
    expect(resolved.dequeueRetry).toBeNull();
  });

  it.each([
    [{ retryAttempts: 3, storageRetry: { maxAttempts: 4 } }, /worker retryAttempts 3: contradicts storageRetry.maxAttempts \(4\)/],
    [{ retryAttempts: 0 }, /worker retryAttempts 0/],
    [{ disableRetry: true, retryAttempts: 2 }, /worker retryAttempts 2: cannot be combined with disableRetry/],
    [{ disableRetry: true, dequeueRetry: {} }, /worker dequeueRetry .*cannot be combined with disableRetry/],
    [{ disableRetry: 'yes' }, /worker disableRetry "yes": must be true or false/],
    [{ dequeueRetry: { jitterFraction: 2 } }, /worker dequeueRetry.jitterFraction 2/],
    [{ storageRetry: { initialBackoff: 'x' } }, /worker storageRetry.initialBackoff "x"/],
  ])('rejects %j', (options, message) => {
    expect(() => resolveWorkerOptions(options as never)).toThrow(message);
  });
});
