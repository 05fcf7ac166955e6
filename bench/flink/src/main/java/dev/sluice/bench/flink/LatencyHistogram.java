package dev.sluice.bench.flink;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Histogram of end-to-end latencies in 10 µs buckets up to 10 s (larger values land in the last
 * bucket and are counted as overflow). Thread-safe; percentiles in ms.
 */
public final class LatencyHistogram {
  private static final int BUCKET_MICROS = 10;
  private static final int BUCKETS = 1_000_000; // 10 s
  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final AtomicLongArray overflow = new AtomicLongArray(1);

  void reset() {
    for (int i = 0; i < BUCKETS; i++) counts.set(i, 0);
    overflow.set(0, 0);
  }

  /** Records one latency of {@code micros} µs (negative clock steps count as 0). */
  public void record(long micros) {
    long b = Math.max(0, micros) / BUCKET_MICROS;
    if (b >= BUCKETS) {
      overflow.incrementAndGet(0);
      b = BUCKETS - 1;
    }
    counts.incrementAndGet((int) b);
  }

  public long count() {
    long n = 0;
    for (int i = 0; i < BUCKETS; i++) n += counts.get(i);
    return n;
  }

  public long overflow() {
    return overflow.get(0);
  }

  /** The q-quantile (0 < q ≤ 1) in ms: upper edge of the bucket holding it; NaN when empty. */
  public double percentileMs(double q) {
    long total = count();
    if (total == 0) return Double.NaN;
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts.get(i);
      if (seen >= rank) return (i + 1) * BUCKET_MICROS / 1000.0;
    }
    return BUCKETS * BUCKET_MICROS / 1000.0;
  }

  /** Largest recorded value's bucket upper edge, ms. */
  public double maxMs() {
    for (int i = BUCKETS - 1; i >= 0; i--) if (counts.get(i) > 0) return (i + 1) * BUCKET_MICROS / 1000.0;
    return Double.NaN;
  }
}
