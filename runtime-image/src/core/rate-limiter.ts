/**
 * Token bucket for source rate limits: `ratePerSecond` tokens per second, holding at most
 * one second's worth (bursts ≤ rate). Time comes from an injectable clock (ms).
 */
export class RateLimiter {
  private readonly rate: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  /** @param ratePerSecond records/s; Infinity or ≤ 0 disables the limit */
  constructor(ratePerSecond: number, now: () => number = () => performance.now()) {
    this.rate = ratePerSecond > 0 ? ratePerSecond : Infinity;
    this.now = now;
    this.last = now();
    this.tokens = Math.min(this.rate, 1);
  }

  /** Takes up to `want` tokens; returns how many were granted (0..want). */
  take(want: number): number {
    if (this.rate === Infinity) return want;
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
    const n = Math.min(want, Math.floor(this.tokens));
    this.tokens -= n;
    return n;
  }
}
