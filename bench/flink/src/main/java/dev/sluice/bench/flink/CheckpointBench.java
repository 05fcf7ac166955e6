package dev.sluice.bench.flink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Checkpoint cost against state size, with the count job ({@link CountJob}) at {@code keys} keys,
 * all on one running cluster:
 *
 * <ol>
 *   <li>run until every record was processed (state = {@code keys} entries), then trigger
 *       {@code repeats} full checkpoints of that state to S3 one after the other, each timed
 *       from the trigger call to the completed checkpoint (metadata written), ms;
 *   <li>cancel the job (the latest checkpoint is retained); submit the same job without state and
 *       time submit → all subtasks RUNNING (fresh start, ms);
 *   <li>{@code repeats} times: submit the job restoring the checkpoint and time submit → all
 *       subtasks RUNNING, ms. Flink keeps a task INITIALIZING while it restores its state and
 *       opens its operators, so RUNNING means the state is loaded. Each restore is checked to
 *       have loaded that checkpoint (its id in the job's restore statistics); afterwards one more
 *       restore with twice the records checks that every key's count was restored.
 * </ol>
 *
 * Durations are medians over the repeats (as Sluice's bench); the lists are kept too.
 */
public final class CheckpointBench {
  private CheckpointBench() {}

  public static Rows.Checkpoint run(
      LocalCluster.S3 s3, String runPrefix, long keys, long records, int parallelism, int partitions, String backend,
      boolean compression, int repeats) throws Exception {
    System.gc();
    Probes.reset();
    String label = backend + (compression ? "+snappy" : "");
    String dir = "s3://" + s3.bucket() + "/" + runPrefix + "/" + label + "-" + keys;
    try (LocalCluster cluster = new LocalCluster(parallelism, s3)) {
      StreamExecutionEnvironment env = JobEnv.withCheckpoints(parallelism, dir, backend, compression);
      CountJob.build(env, records, keys, partitions);
      long t0 = System.nanoTime();
      JobID job = cluster.submit(LocalCluster.jobGraph(env, "count-" + keys, null));
      LocalCluster.await("all records processed", () -> Probes.totalProcessed(parallelism) >= records, Duration.ofMinutes(15));
      double fillSeconds = (System.nanoTime() - t0) / 1e9;
      List<LocalCluster.Checkpoint> chks = new ArrayList<>();
      for (int i = 0; i < repeats; i++) chks.add(cluster.checkpoint(job, Duration.ofMinutes(10)));
      cluster.cancel(job);
      LocalCluster.Checkpoint first = chks.get(0);
      LocalCluster.Checkpoint last = chks.get(chks.size() - 1);
      String path = last.stats().getExternalPath();

      StreamExecutionEnvironment freshEnv = JobEnv.withCheckpoints(parallelism, dir, backend, compression);
      CountJob.build(freshEnv, 0, keys, partitions);
      StartTime fresh = timeStart(cluster, LocalCluster.jobGraph(freshEnv, "count-fresh", null));

      List<StartTime> restores = new ArrayList<>();
      for (int i = 0; i < repeats; i++) {
        StreamExecutionEnvironment restoreEnv = JobEnv.withCheckpoints(parallelism, dir, backend, compression);
        CountJob.build(restoreEnv, records, keys, partitions);
        StartTime r = timeStart(cluster, LocalCluster.jobGraph(restoreEnv, "count-restore", path));
        if (r.started().restoredCheckpointId() != last.id()) {
          throw new IllegalStateException("restore did not load checkpoint " + last.id() + " (" + path + "): " + r.started());
        }
        restores.add(r);
      }

      verifyRestoredState(cluster, dir, backend, compression, path, keys, records, parallelism, partitions);

      List<Double> durations = chks.stream().map(c -> ThroughputBench.round3(c.wallMs())).toList();
      List<Double> restoreMs = restores.stream().map(StartTime::ms).toList();
      return new Rows.Checkpoint(
          keys, parallelism, median(durations), first.stats().getCheckpointedSize(), median(restoreMs), label,
          records, durations, restoreMs, chks.stream().map(c -> c.stats().getEndToEndDuration()).toList(),
          first.stats().getMetadataSize(), fresh.ms(),
          restores.stream().map(StartTime::longestInitializingMs).toList(),
          ThroughputBench.round(records / fillSeconds / parallelism));
    }
  }

  /**
   * Restores the checkpoint once more with twice the records: the restored source positions make
   * it emit only the records after the first {@code records}, which hit keys already counted, so
   * every one of them must find its key's restored count. Throws otherwise.
   */
  private static void verifyRestoredState(
      LocalCluster cluster, String dir, String backend, boolean compression, String path, long keys, long records,
      int parallelism, int partitions) throws Exception {
    Probes.reset();
    long expected = 0;
    for (int k = 0; k < partitions; k++) {
      expected += GeneratorSource.partitionSize(2 * records, partitions, k) - GeneratorSource.partitionSize(records, partitions, k);
    }
    long want = expected;
    StreamExecutionEnvironment env = JobEnv.withCheckpoints(parallelism, dir, backend, compression);
    CountJob.build(env, 2 * records, keys, partitions);
    JobID id = cluster.submit(LocalCluster.jobGraph(env, "count-verify", path));
    LocalCluster.await("records after the restore", () -> Probes.totalProcessed(parallelism) >= want, Duration.ofMinutes(15));
    Thread.sleep(100);
    cluster.cancel(id);
    long processed = Probes.totalProcessed(parallelism);
    long found = Probes.totalFound(parallelism);
    if (processed != expected || found != expected) {
      throw new IllegalStateException("restored state incomplete: " + found + " of " + processed
          + " records after the restore found their key's count (expected " + expected + ")");
    }
  }

  /** Submit → all subtasks RUNNING (ms), and the details of that start. */
  private record StartTime(double ms, LocalCluster.Started started) {
    long longestInitializingMs() {
      return started.maxInitializingMs();
    }
  }

  /** Submits {@code graph}, waits until all subtasks are RUNNING, cancels it. */
  private static StartTime timeStart(LocalCluster cluster, JobGraph graph) throws Exception {
    long submittedAt = System.currentTimeMillis();
    JobID id = cluster.submit(graph);
    LocalCluster.Started s = cluster.awaitAllRunning(id, Duration.ofMinutes(10));
    cluster.cancel(id);
    return new StartTime(s.allRunningAtMs() - submittedAt, s);
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
