import {
  ItemExponentialBackoff,
  MaxOfRateLimiter,
  TokenBucket,
  defaultControllerRateLimiter,
} from './rate-limiter.ts';

describe('ItemExponentialBackoff', () => {
  it('doubles the delay per failure of a key up to the cap, independently per key', () => {
    const b = new ItemExponentialBackoff(100, 1000);
    expect([1, 2, 3, 4, 5, 6].map(() => b.when('a'))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(b.when('b')).toBe(100);
    expect(b.retries('a')).toBe(6);
  });

  it('starts over after forget', () => {
    const b = new ItemExponentialBackoff(5, 1000);
    b.when('a');
    b.when('a');
    b.forget('a');
    expect(b.retries('a')).toBe(0);
    expect(b.when('a')).toBe(5);
  });

  it('stays capped after very many failures', () => {
    const b = new ItemExponentialBackoff(5, 300_000);
    let last = 0;
    for (let i = 0; i < 2000; i++) last = b.when('a');
    expect(last).toBe(300_000);
  });

  it('rejects inverted bounds', () => {
    expect(() => new ItemExponentialBackoff(10, 5)).toThrow(RangeError);
    expect(() => new ItemExponentialBackoff(0, 5)).toThrow(RangeError);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then spaces requests at the rate', () => {
    const t = new TokenBucket(10, 3); // one token per 100 ms
    const now = 1_000_000;
    expect([t.when('a', now), t.when('b', now), t.when('c', now)]).toEqual([0, 0, 0]);
    expect(t.when('d', now)).toBe(100);
    expect(t.when('e', now)).toBe(200);
  });

  it('refills with time but never beyond the burst', () => {
    const t = new TokenBucket(10, 2);
    const now = 0;
    t.when('a', now);
    t.when('b', now);
    expect(t.when('c', now + 100)).toBe(0);
    expect(t.when('d', now + 10_000)).toBe(0);
    expect(t.when('e', now + 10_000)).toBe(0);
    expect(t.when('f', now + 10_000)).toBe(100);
  });
});

describe('MaxOfRateLimiter / defaultControllerRateLimiter', () => {
  it('waits for the larger of per-key backoff and the shared bucket', () => {
    const l = new MaxOfRateLimiter(new ItemExponentialBackoff(1, 1000), new TokenBucket(1, 1));
    expect(l.when('a', 0)).toBe(1); // backoff 1 ms, bucket has a token
    expect(l.when('b', 0)).toBe(1000); // bucket empty: 1 token/s
    expect(l.retries('a')).toBe(1);
    l.forget('a');
    expect(l.retries('a')).toBe(0);
  });

  it('is built from options', () => {
    const l = defaultControllerRateLimiter({
      baseDelayMs: 50,
      maxDelayMs: 400,
      ratePerSecond: 100,
      burst: 100,
    });
    expect([1, 2, 3, 4, 5].map(() => l.when('k', 0))).toEqual([50, 100, 200, 400, 400]);
  });
});
