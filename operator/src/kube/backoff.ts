/**
 * Capped exponential backoff, the one delay shape of the operator's retries: the work queue's
 * per-key backoff (rate-limiter.ts), the informers' re-list after a failed list or watch
 * (informer.ts), the S3 endpoint breaker's cool-down (s3/endpoint-breaker.ts) and the
 * failure-restart delay of a StreamJob (lifecycle/restart-backoff.ts). See docs/operator.md
 * "Architecture" for the queue's retries.
 */

/** Largest exponent used: 2^52 already exceeds any cap, and a zero base stays 0 (not NaN). */
const MAX_EXPONENT = 52;

/**
 * The delay of retry `n`: `min(baseMs · 2^n, maxMs)`.
 * @param baseMs delay of the first retry (n = 0), any unit (ms by convention), ≥ 0
 * @param maxMs upper bound of the delay, same unit
 * @param n retries already made, or failures before this one (integer ≥ 0)
 * @returns the delay, in the unit of `baseMs`
 */
export function exponentialBackoff(baseMs: number, maxMs: number, n: number): number {
  return Math.min(baseMs * 2 ** Math.min(Math.max(n, 0), MAX_EXPONENT), maxMs);
}
