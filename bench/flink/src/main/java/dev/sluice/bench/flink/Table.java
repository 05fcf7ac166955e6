package dev.sluice.bench.flink;

import java.util.List;

/** Prints the results as a human-readable table. */
final class Table {
  private Table() {}

  static void print(List<Rows.Throughput> throughput, List<Rows.Latency> latency, List<Rows.Checkpoint> checkpoints) {
    if (!throughput.isEmpty()) {
      System.out.println("\nthroughput (steady state, events/s per worker)");
      System.out.printf("  %-12s %3s %-16s %14s %16s %10s %16s%n", "job", "p", "variant", "events", "events/s/worker", "cpu cores", "events/cpu-s");
      for (Rows.Throughput r : throughput) {
        System.out.printf("  %-12s %3d %-16s %,14d %,16.0f %10.2f %,16.0f%n",
            r.job(), r.parallelism(), r.variant(), r.events(), r.eventsPerSecondPerWorker(), r.cpuCores(), r.eventsPerCpuSecond());
      }
    }
    if (!latency.isEmpty()) {
      System.out.println("\nlatency (wordcount, source emission → count operator)");
      System.out.printf("  %3s %12s %16s %9s %9s %9s%n", "p", "lines/s", "buffer timeout", "p50 ms", "p99 ms", "max ms");
      for (Rows.Latency r : latency) {
        System.out.printf("  %3d %,12d %13d ms %9.2f %9.2f %9.2f%n",
            r.parallelism(), r.rate(), r.bufferTimeoutMs(), r.p50Ms(), r.p99Ms(), r.maxMs());
      }
    }
    if (!checkpoints.isEmpty()) {
      System.out.println("\ncheckpoints (count job, parallelism 2)");
      System.out.printf("  %-14s %12s %13s %15s %12s %15s%n", "backend", "keys", "checkpoint ms", "bytes", "restore ms", "fresh start ms");
      for (Rows.Checkpoint r : checkpoints) {
        System.out.printf("  %-14s %,12d %13.0f %,15d %12.0f %15.0f%n",
            r.backend(), r.keys(), r.durationMs(), r.bytes(), r.restoreMs(), r.freshStartMs());
      }
    }
  }
}
