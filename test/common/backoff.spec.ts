import { DEFAULT_BACKOFF, InvalidOptionError, computeBackoff } from '../../lib/index.js';
import { resolveBackoff } from '../../lib/common/backoff.js';

const NO_JITTER = { ...DEFAULT_BACKOFF, jitter: 0 };

describe('computeBackoff', () => {
  it('doubles from the initial delay', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => computeBackoff(NO_JITTER, attempt))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000,
    ]);
  });

  it('caps at the maximum', () => {
    expect(computeBackoff(NO_JITTER, 13)).toBe(3_600_000);
    expect(computeBackoff(NO_JITTER, 40)).toBe(3_600_000);
  });

  it('stays finite for huge attempt numbers', () => {
    for (const attempt of [1_000, 1e6, Number.MAX_SAFE_INTEGER]) {
      const delay = computeBackoff(DEFAULT_BACKOFF, attempt);
      expect(Number.isFinite(delay)).toBe(true);
      expect(delay).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
    }
  });

  it('varies by at most the jitter fraction', () => {
    const policy = { ...DEFAULT_BACKOFF, jitter: 0.2 };
    expect(computeBackoff(policy, 3, () => 0)).toBe(3_200);
    expect(computeBackoff(policy, 3, () => 0.5)).toBe(4_000);
    expect(computeBackoff(policy, 3, () => 0.999999)).toBe(4_800);
  });

  it('never exceeds the maximum with jitter', () => {
    expect(computeBackoff({ ...DEFAULT_BACKOFF, jitter: 1 }, 50, () => 0.999999)).toBe(3_600_000);
  });
});

describe('resolveBackoff', () => {
  it('parses durations and keeps defaults', () => {
    expect(resolveBackoff({ initial: '250ms', max: '1m' }, 'backoff')).toEqual({
      initialMs: 250,
      maxMs: 60_000,
      multiplier: 2,
      jitter: 0.2,
    });
  });

  it.each([
    [{ jitter: 1.5 }, /Invalid backoff.jitter 1.5: must be a number from 0 to 1/],
    [{ multiplier: Number.POSITIVE_INFINITY }, /Invalid backoff.multiplier Infinity/],
    [{ initial: '10s', max: '1s' }, /Invalid backoff.max "1s": must not be below the initial delay of 10000ms/],
    [{ initial: 'fast' }, /Invalid backoff.initial "fast": not a duration/],
  ])('rejects %j', (options, message) => {
    expect(() => resolveBackoff(options, 'backoff')).toThrow(InvalidOptionError);
    expect(() => resolveBackoff(options, 'backoff')).toThrow(message);
  });
});
