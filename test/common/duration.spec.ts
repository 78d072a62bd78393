import { InvalidOptionError, parseDuration } from '../../lib/index.js';

describe('parseDuration', () => {
  it.each<[number | string, number]>([
    [0, 0],
    [1500, 1500],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1.5s', 1_500],
    ['  10s ', 10_000],
    ['100', 100],
  ])('parses %p', (input, expected) => {
    expect(parseDuration(input, 'delay')).toBe(expected);
  });

  it.each<[unknown, RegExp]>([
    ['soon', /Invalid delay "soon": not a duration/],
    ['', /Invalid delay "": not a duration/],
    [-1, /Invalid delay -1: must not be negative/],
    ['-5s', /Invalid delay "-5s": must not be negative/],
    [Number.NaN, /Invalid delay NaN: not a duration/],
    [Number.POSITIVE_INFINITY, /Invalid delay Infinity: not a duration/],
    [null, /Invalid delay null: not a duration/],
    [{}, /Invalid delay \[object Object\]: not a duration/],
  ])('rejects %p', (input, message) => {
    expect(() => parseDuration(input as string, 'delay')).toThrow(InvalidOptionError);
    expect(() => parseDuration(input as string, 'delay')).toThrow(message);
  });
});
