package dev.sluice.bench.flink;

/**
 * Counter-based pseudo-random numbers, bit-for-bit the same as Sluice's
 * {@code runtime-image/src/core/prng.ts}: the stream for (seed, n) depends only on those two
 * numbers, so event n can be generated without generating events 0..n−1. Seeding mixes with the
 * 32-bit MurmurHash3 finaliser (fmix32); draws are mulberry32. JavaScript's {@code Math.imul},
 * {@code >>>} and {@code | 0} are 32-bit int arithmetic here. Not for cryptography.
 */
public final class Prng {
  private int state;

  private Prng(int state) {
    this.state = state;
  }

  static int fmix32(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }

  /**
   * The random stream for event {@code n} of generator {@code seed}.
   *
   * @param seed any 32-bit integer
   * @param n a non-negative integer below 2^53
   */
  public static Prng forEvent(int seed, long n) {
    int lo = (int) n;
    int hi = (int) (n >>> 32);
    int s = fmix32(fmix32(seed ^ 0x9e3779b9) ^ fmix32(lo + 0x7f4a7c15) ^ (fmix32(hi ^ 0x2545f491) * 31));
    return new Prng(s);
  }

  /** Uniform double in [0, 1). */
  public double next() {
    state += 0x6d2b79f5;
    int t = state;
    t = (t ^ (t >>> 15)) * (t | 1);
    t ^= t + (t ^ (t >>> 7)) * (t | 61);
    return Integer.toUnsignedLong(t ^ (t >>> 14)) / 4294967296.0;
  }

  /** Uniform integer in [0, k) for 1 ≤ k ≤ 2^32 (JavaScript's {@code Math.floor(next() * k)}). */
  public long nextInt(double k) {
    return (long) Math.floor(next() * k);
  }
}
