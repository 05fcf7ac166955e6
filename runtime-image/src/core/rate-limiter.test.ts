import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter', () => {
  it('grants rate × elapsed tokens, capped at one second of burst', () => {
    let t = 0;
    const r = new RateLimiter(100, () => t);
    expect(r.take(10)).toBe(1);
    t = 50;
    expect(r.take(100)).toBe(5);
    t = 10_000;
    expect(r.take(1000)).toBe(100);
    expect(r.take(1)).toBe(0);
  });

  it('is unlimited for rate 0 or Infinity', () => {
    expect(new RateLimiter(0).take(1e6)).toBe(1e6);
    expect(new RateLimiter(Infinity).take(7)).toBe(7);
  });
});
