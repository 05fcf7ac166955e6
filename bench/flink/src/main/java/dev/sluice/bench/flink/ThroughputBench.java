package dev.sluice.bench.flink;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Throughput of a bounded job: the per-subtask counts of records emitted by the source are
 * sampled every 20 ms while the job runs; the rate is taken between the samples where 10 % and
 * 90 % of the input were emitted (steady state: no start-up, no tail), as Sluice's bench does.
 * The source runs chained with the next operator and is backpressured by the keyed stage, so
 * in steady state its emission rate is the processing rate.
 *
 * <p>The JVM's CPU time is sampled too: a Flink subtask runs each unchained task in a thread of
 * its own (wordcount: source→tokenize and count→sink; Q5: three), so one "worker" can keep more
 * than one core busy. {@code cpuCores} = CPU seconds / wall seconds of the whole JVM in the
 * steady interval, {@code eventsPerCpuSecond} = events / CPU seconds. The JVM is the Flink
 * side's whole process tree (TaskManagers, JobManager and this poller; MinIO runs apart), as
 * Sluice counts its benchmark driver and its workers' process trees (docs/benchmarks.md).
 */
public final class ThroughputBench {
  private ThroughputBench() {}

  /** A job builder: (environment, records) → pipeline. */
  public interface Job {
    void build(StreamExecutionEnvironment env, long records);
  }

  /**
   * Runs {@code job} once with {@code warmupRecords} (when > 0) and discards that run — the JIT
   * compiles the job's code paths in this JVM — then measures a run with {@code records}.
   * Object reuse ({@code pipeline.object-reuse}) is set for both.
   */
  public static Rows.Throughput run(String name, Job job, int parallelism, long records, boolean objectReuse, long warmupRecords)
      throws Exception {
    JobEnv.objectReuse = objectReuse;
    if (warmupRecords > 0) {
      System.out.printf("  warm-up run (discarded): %,d events%n", warmupRecords);
      measure(name, job, parallelism, warmupRecords, objectReuse, 0);
    }
    return measure(name, job, parallelism, records, objectReuse, warmupRecords);
  }

  private static Rows.Throughput measure(
      String name, Job job, int parallelism, long records, boolean objectReuse, long warmupRecords) throws Exception {
    System.gc();
    Probes.reset();
    try (LocalCluster cluster = new LocalCluster(parallelism, null)) {
      StreamExecutionEnvironment env = JobEnv.create(parallelism, JobEnv.DEFAULT_BUFFER_TIMEOUT_MS);
      job.build(env, records);
      List<long[]> samples = new ArrayList<>(); // [nanos, cpu nanos, subtask 0, subtask 1, ...]
      long t0 = System.nanoTime();
      JobID id = cluster.submit(LocalCluster.jobGraph(env, name, null));
      while (!cluster.isDone(id)) {
        long[] s = new long[parallelism + 2];
        s[0] = System.nanoTime();
        s[1] = cpuNanos();
        for (int i = 0; i < parallelism; i++) s[i + 2] = Probes.emitted(i);
        samples.add(s);
        Thread.sleep(20);
      }
      double wholeRun = (System.nanoTime() - t0) / 1e9;
      cluster.awaitSuccess(id, Duration.ofMinutes(1));
      if (Probes.totalEmitted(parallelism) != records) {
        throw new IllegalStateException("emitted " + Probes.totalEmitted(parallelism) + " of " + records + " records");
      }
      long[] from = null;
      long[] to = null;
      for (long[] s : samples) {
        long total = total(s);
        if (from == null && total >= records * 0.1) from = s;
        if (total <= records * 0.9) to = s;
      }
      if (from == null || to == null || to[0] <= from[0]) {
        throw new IllegalStateException("run too short to measure a steady state; raise the record count");
      }
      double secs = (to[0] - from[0]) / 1e9;
      List<Double> perSubtask = new ArrayList<>();
      for (int i = 2; i < parallelism + 2; i++) perSubtask.add(round((to[i] - from[i]) / secs));
      double perWorker = (total(to) - total(from)) / secs / parallelism;
      double cpuSecs = (to[1] - from[1]) / 1e9;
      return new Rows.Throughput(
          name, parallelism, records, round(perWorker), perSubtask, round3(secs), round3(wholeRun),
          Math.round(cpuSecs / secs * 100) / 100.0, round((total(to) - total(from)) / cpuSecs),
          "object reuse " + (objectReuse ? "on" : "off"), objectReuse, warmupRecords);
    }
  }

  private static long total(long[] s) {
    long n = 0;
    for (int i = 2; i < s.length; i++) n += s[i];
    return n;
  }

  /** CPU time of this JVM (all threads, GC included), ns. */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static double round(double x) {
    return Math.round(x);
  }

  static double round3(double x) {
    return Math.round(x * 1000) / 1000.0;
  }
}
