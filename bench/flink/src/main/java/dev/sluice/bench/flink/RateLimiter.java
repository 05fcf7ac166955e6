package dev.sluice.bench.flink;

/**
 * Token bucket as Sluice's {@code core/rate-limiter.ts}: {@code ratePerSecond} tokens per
 * second, holding at most one second's worth; starts with min(rate, 1) tokens.
 */
final class RateLimiter {
  private final double rate;
  private double tokens;
  private long lastNanos;

  /** @param ratePerSecond records/s; ≤ 0 or infinite disables the limit */
  RateLimiter(double ratePerSecond) {
    this.rate = ratePerSecond > 0 ? ratePerSecond : Double.POSITIVE_INFINITY;
    this.lastNanos = System.nanoTime();
    this.tokens = Math.min(rate, 1);
  }

  boolean unlimited() {
    return rate == Double.POSITIVE_INFINITY;
  }

  /** Takes one token if there is one. */
  boolean tryTake() {
    if (unlimited()) return true;
    long now = System.nanoTime();
    tokens = Math.min(rate, tokens + (now - lastNanos) * rate / 1e9);
    lastNanos = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  /** Time until the next token, in ms (at least 1: the scheduler's resolution). */
  long msUntilNextToken() {
    return Math.max(1, (long) Math.ceil((1 - tokens) * 1000 / rate));
  }
}
