package dev.sluice.bench.flink;

import java.util.List;

/**
 * Result rows of the JSON file shared with the Sluice side (bench/results/*-runtime.json). Field
 * names are the shared shape; fields after those are Flink-side extras.
 */
public final class Rows {
  private Rows() {}

  /**
   * Steady-state throughput: input events per second per parallel subtask (events/s),
   * {@code events} = input records of the run (wordcount: lines; Nexmark: generated events).
   * Extras: per subtask (events/s), the steady interval and whole run (s), the JVM's busy cores
   * in the steady interval (CPU s / wall s) and events per CPU second; the variant
   * ({@code object reuse on|off}, bench/compare.ts pairs Sluice's row with each), and the events
   * of the discarded warm-up run of the same job before it (0: none).
   */
  public record Throughput(
      String job, int parallelism, long events, double eventsPerSecondPerWorker,
      List<Double> perSubtask, double steadySeconds, double wholeRunSeconds, double cpuCores, double eventsPerCpuSecond,
      String variant, boolean objectReuse, long warmupEvents) {}

  /**
   * End-to-end latency (ms) from a line's emission by the source to the count operator's
   * processing of each of its words, over the steady state of a run at {@code rate} lines/s.
   */
  public record Latency(
      String job, int parallelism, long rate, double p50Ms, double p99Ms, String settings,
      long bufferTimeoutMs, double maxMs, long samples, double achievedRate) {}

  /**
   * A checkpoint at {@code keys} keys: duration (ms, trigger → completed; median of the repeats),
   * checkpointed size (bytes, first checkpoint), restore time (ms, submit → all subtasks RUNNING
   * with state loaded; median of the repeats). Extras: every repeat, Flink's own end-to-end
   * durations (ms), the _metadata size (bytes), the fresh start without state (ms), the longest
   * INITIALIZING → RUNNING of a subtask per restore (ms), the fill rate (records/s per worker).
   */
  public record Checkpoint(
      long keys, int parallelism, double durationMs, long bytes, double restoreMs, String backend,
      long records, List<Double> durationsMs, List<Double> restoresMs, List<Long> flinkEndToEndMs,
      long metadataBytes, double freshStartMs, List<Long> stateLoadMs, double fillRecordsPerSecondPerWorker) {}
}
