package dev.sluice.bench.flink;

import java.util.concurrent.CompletableFuture;

/**
 * The release count of the gated source ({@link GatedSource}), raised by the benchmark driver in
 * this JVM: the source may have emitted at most {@link #release()} records. A reader at the gate
 * waits on {@link #whenAbove(long)}, which completes when the driver raises it. One gated job at
 * a time ({@link #reset()} between runs).
 */
final class Gate {
  private static volatile long release;
  private static CompletableFuture<Void> raised = new CompletableFuture<>();

  private Gate() {}

  /** Records the source may have emitted in total. */
  static long release() {
    return release;
  }

  /** Closes the gate (release 0) and wakes any waiting reader. */
  static synchronized void reset() {
    release = 0;
    wake();
  }

  /** Lets {@code records} more records through. @return the new release count */
  static synchronized long raise(long records) {
    release += records;
    wake();
    return release;
  }

  /** Completes once the release count exceeds {@code emitted} (at once when it already does). */
  static synchronized CompletableFuture<Void> whenAbove(long emitted) {
    return release > emitted ? CompletableFuture.completedFuture(null) : raised;
  }

  private static void wake() {
    CompletableFuture<Void> old = raised;
    raised = new CompletableFuture<>();
    old.complete(null);
  }
}
