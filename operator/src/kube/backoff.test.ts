import { exponentialBackoff } from './backoff.ts';

describe('exponentialBackoff', () => {
  it('doubles from the base per retry and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => exponentialBackoff(1000, 10_000, n))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  it('stays at the cap for any number of retries, never Infinity', () => {
    expect(exponentialBackoff(5, 60_000, 5000)).toBe(60_000);
  });

  it('is 0 for a zero base however many retries (never NaN)', () => {
    expect(exponentialBackoff(0, 60_000, 5000)).toBe(0);
  });

  it('treats a negative count as the first retry', () => {
    expect(exponentialBackoff(250, 1000, -1)).toBe(250);
  });
});
