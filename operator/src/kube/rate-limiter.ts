/**
 * Rate limiters of the work queue, after client-go's `workqueue.DefaultControllerRateLimiter`:
 * the delay before a failed key is retried is the larger of a per-key exponential backoff and
 * the wait for a token from one bucket shared by all keys (the overall rate limit).
 */
import { exponentialBackoff } from './backoff.ts';

/** Decides how long a key waits before it is retried. */
export interface RateLimiter {
  /** Delay in ms before `key` may be processed again; each call counts as one more failure. */
  when(key: string, nowMs: number): number;
  /** Forgets the failures of `key` (after a success). */
  forget(key: string): void;
  /** Failures of `key` since it was last forgotten. */
  retries(key: string): number;
}

/**
 * Per-key exponential backoff: the n-th failure (n from 1) waits `baseDelayMs · 2^(n-1)`,
 * capped at `maxDelayMs`.
 */
export class ItemExponentialBackoff implements RateLimiter {
  readonly #failures = new Map<string, number>();
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;

  /**
   * @param baseDelayMs delay after the first failure, in ms (> 0)
   * @param maxDelayMs upper bound of the delay, in ms (≥ baseDelayMs)
   * @throws RangeError when the bounds are not positive or inverted.
   */
  constructor(baseDelayMs: number, maxDelayMs: number) {
    if (!(baseDelayMs > 0) || !(maxDelayMs >= baseDelayMs)) {
      throw new RangeError(`backoff needs 0 < base (${baseDelayMs} ms) <= max (${maxDelayMs} ms)`);
    }
    this.#baseDelayMs = baseDelayMs;
    this.#maxDelayMs = maxDelayMs;
  }

  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return exponentialBackoff(this.#baseDelayMs, this.#maxDelayMs, n);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/**
 * A token bucket shared by all keys: `ratePerSecond` tokens a second, at most `burst` saved.
 * `when` reserves a token and returns how long to wait for it (golang.org/x/time/rate's
 * Reserve semantics), so a storm of failures is spread out at `ratePerSecond`.
 */
export class TokenBucket implements RateLimiter {
  readonly #ratePerMs: number;
  readonly #burst: number;
  #tokens: number;
  #lastMs: number | undefined;

  /**
   * @param ratePerSecond tokens added per second (> 0)
   * @param burst bucket size (≥ 1); the bucket starts full
   * @throws RangeError on non-positive parameters.
   */
  constructor(ratePerSecond: number, burst: number) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) {
      throw new RangeError(`token bucket needs rate > 0 (${ratePerSecond}/s) and burst >= 1 (${burst})`);
    }
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
  }

  when(_key: string, nowMs: number): number {
    if (this.#lastMs !== undefined && nowMs > this.#lastMs) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (nowMs - this.#lastMs) * this.#ratePerMs);
    }
    this.#lastMs = Math.max(nowMs, this.#lastMs ?? nowMs);
    this.#tokens -= 1;
    // A negative balance is a debt paid back at the fill rate: that is the wait for this token.
    return this.#tokens >= 0 ? 0 : Math.ceil(-this.#tokens / this.#ratePerMs);
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

/** The largest delay of several limiters (each still counts the failure). */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string, nowMs: number): number {
    return Math.max(0, ...this.#limiters.map((l) => l.when(key, nowMs)));
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  retries(key: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.retries(key)));
  }
}

/** Parameters of {@link defaultControllerRateLimiter}. */
export interface RateLimitOptions {
  /** First retry delay of a key, ms. */
  baseDelayMs: number;
  /** Largest retry delay of a key, ms. */
  maxDelayMs: number;
  /** Overall retries per second across keys. */
  ratePerSecond: number;
  /** Retries allowed in a burst above the rate. */
  burst: number;
}

/** client-go's controller default shape: max(per-key exponential, shared token bucket). */
export function defaultControllerRateLimiter(o: RateLimitOptions): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialBackoff(o.baseDelayMs, o.maxDelayMs),
    new TokenBucket(o.ratePerSecond, o.burst),
  );
}
