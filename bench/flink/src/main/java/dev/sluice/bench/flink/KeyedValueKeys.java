package dev.sluice.bench.flink;

/**
 * The keys of Sluice's state-benchmark job {@code bench/state/keyed-value-job.ts}, ported
 * (checked against the TypeScript by {@link GeneratorCheck}). Record n (0-based) carries key
 * {@code k<i>}:
 *
 * <ul>
 *   <li>n &lt; keys: i = n (the load phase writes every key once);
 *   <li>n ≥ keys: i = ((n − keys) · s) mod keys with s = {@link #strideFor(long)} (the update
 *       phase revisits keys spread over the key space by a golden-ratio stride).
 * </ul>
 */
public final class KeyedValueKeys {
  private KeyedValueKeys() {}

  /**
   * The update phase's multiplier for {@code keys} keys: the integer nearest to keys · 0.6180339887
   * (at least 1), raised until it is coprime to {@code keys}. {@code Math.round} on a double
   * rounds halves up, as JavaScript's does; the product is the same IEEE double on both sides.
   */
  public static long strideFor(long keys) {
    long s = Math.max(1, Math.round(keys * 0.6180339887));
    while (gcd(s, keys) != 1) s++;
    return s;
  }

  /**
   * The key index of record {@code n} (class comment). Exact for every keys &lt; 3·10^9: the
   * factor (n − keys) is reduced mod keys first, so the product stays below keys² &lt; 2^63; equal
   * to the TypeScript's ((n − keys) · s) % keys wherever that one is exact (below 2^53).
   *
   * @param stride {@link #strideFor(long)} of {@code keys}
   */
  public static long keyIndex(long n, long keys, long stride) {
    return n < keys ? n : ((n - keys) % keys) * stride % keys;
  }

  /** The key of record {@code n}: {@code "k" + keyIndex}. */
  public static String key(long n, long keys, long stride) {
    return "k" + keyIndex(n, keys, stride);
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }
}
