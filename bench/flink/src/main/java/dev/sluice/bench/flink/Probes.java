package dev.sluice.bench.flink;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * In-JVM counters the benchmark reads while a job runs. The MiniCluster runs every task in this
 * JVM (job classes come from the application class loader), so operators publish plain
 * per-subtask counters here instead of going through Flink's metric reporters. One slot per
 * subtask, padded to its own cache line; written by one task thread each (ordered stores).
 */
public final class Probes {
  private static final int MAX_SUBTASKS = 64;
  private static final int PAD = 16; // longs: 128 bytes per slot
  private static final AtomicLongArray EMITTED = new AtomicLongArray(MAX_SUBTASKS * PAD);
  private static final AtomicLongArray PROCESSED = new AtomicLongArray(MAX_SUBTASKS * PAD);
  private static final AtomicLongArray FOUND = new AtomicLongArray(MAX_SUBTASKS * PAD);
  /** End-to-end latency samples of the current latency run. */
  public static final LatencyHistogram LATENCY = new LatencyHistogram();

  private Probes() {}

  /** Clears every counter and the histogram (between runs). */
  public static void reset() {
    for (int i = 0; i < MAX_SUBTASKS * PAD; i++) {
      EMITTED.set(i, 0);
      PROCESSED.set(i, 0);
      FOUND.set(i, 0);
    }
    LATENCY.reset();
  }

  /** Source subtask {@code subtask} has emitted {@code total} records. */
  static void emitted(int subtask, long total) {
    EMITTED.lazySet(subtask * PAD, total);
  }

  /** Keyed subtask {@code subtask} has processed {@code total} records. */
  static void processed(int subtask, long total) {
    PROCESSED.lazySet(subtask * PAD, total);
  }

  /** Keyed subtask {@code subtask} has found an existing state value for {@code total} records. */
  static void found(int subtask, long total) {
    FOUND.lazySet(subtask * PAD, total);
  }

  public static long totalFound(int parallelism) {
    long n = 0;
    for (int i = 0; i < parallelism; i++) n += FOUND.get(i * PAD);
    return n;
  }

  public static long emitted(int subtask) {
    return EMITTED.get(subtask * PAD);
  }

  public static long totalEmitted(int parallelism) {
    long n = 0;
    for (int i = 0; i < parallelism; i++) n += emitted(i);
    return n;
  }

  public static long totalProcessed(int parallelism) {
    long n = 0;
    for (int i = 0; i < parallelism; i++) n += PROCESSED.get(i * PAD);
    return n;
  }
}
