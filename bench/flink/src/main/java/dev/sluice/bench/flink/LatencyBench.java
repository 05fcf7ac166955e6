package dev.sluice.bench.flink;

import java.time.Duration;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * End-to-end latency of wordcount at a fixed input rate: the source stamps each line with the
 * wall clock (µs) when it generates it (right before emitting it); the count operator records
 * now − stamp for each word of the line, from {@code warmupMs} after its first record for
 * {@code measureMs} (Sluice's definition). The input lasts 3 s longer than warm-up + measuring.
 * Reports p50/p99 in ms.
 */
public final class LatencyBench {
  private LatencyBench() {}

  /**
   * @param rate lines/s over all subtasks
   * @param bufferTimeoutMs Flink's network buffer timeout (its default is 100 ms)
   */
  public static Rows.Latency run(
      SyntheticCorpus corpus, int partitions, int parallelism, long rate, long warmupMs, long measureMs, long bufferTimeoutMs)
      throws Exception {
    System.gc();
    Probes.reset();
    try (LocalCluster cluster = new LocalCluster(parallelism, null)) {
      StreamExecutionEnvironment env = JobEnv.create(parallelism, bufferTimeoutMs);
      long lines = rate * (warmupMs + measureMs + 3000) / 1000;
      long from = rate * warmupMs / 1000;
      long to = rate * (warmupMs + measureMs) / 1000;
      WordcountJob.buildStamped(env, corpus, lines, partitions, rate, warmupMs, measureMs);
      JobID id = cluster.submit(LocalCluster.jobGraph(env, "wordcount-latency", null));
      long tFrom = 0;
      long tTo = 0;
      long nFrom = 0;
      long nTo = 0;
      while (!cluster.isDone(id)) {
        long n = Probes.totalEmitted(parallelism);
        long t = System.nanoTime();
        if (tFrom == 0 && n >= from) {
          tFrom = t;
          nFrom = n;
        }
        if (n <= to) {
          tTo = t;
          nTo = n;
        }
        Thread.sleep(20);
      }
      cluster.awaitSuccess(id, Duration.ofMinutes(1));
      double achieved = tTo > tFrom ? (nTo - nFrom) / ((tTo - tFrom) / 1e9) : Double.NaN;
      LatencyHistogram h = Probes.LATENCY;
      String settings =
          "buffer timeout " + bufferTimeoutMs + " ms" + (bufferTimeoutMs == JobEnv.DEFAULT_BUFFER_TIMEOUT_MS ? " (Flink default)" : "")
              + "; 1 slot per TaskManager, " + parallelism + " TaskManagers in one JVM (MiniCluster); latency = count operator's"
              + " wall clock − source's wall clock when it generated the line (µs), per word; warm-up " + warmupMs / 1000.0
              + " s after each count subtask's first record, measured " + measureMs / 1000.0 + " s; generator rate limit " + rate
              + " lines/s total (token bucket, a source out of tokens waits on a ≥ 1 ms timer); no checkpoints";
      return new Rows.Latency(
          "wordcount", parallelism, rate, h.percentileMs(0.50), h.percentileMs(0.99), settings, bufferTimeoutMs,
          h.maxMs(), h.count(), ThroughputBench.round(achieved));
    }
  }
}
