package dev.sluice.bench.flink;

import java.time.Duration;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Checkpoint cost against state size, with the count job ({@link CountJob}) at {@code keys} keys:
 *
 * <ol>
 *   <li>run until every record was processed (state = {@code keys} entries), then trigger one
 *       full checkpoint to S3 and time it: wall time from the trigger call to the completed
 *       checkpoint (ms), plus Flink's statistics (end-to-end duration, checkpointed bytes);
 *   <li>cancel the job (the checkpoint is retained); submit the same job without state and time
 *       submit → all subtasks RUNNING (fresh start);
 *   <li>submit the job restoring the checkpoint and time submit → all subtasks RUNNING. Flink
 *       keeps a task INITIALIZING while it restores its state and opens its operators, so
 *       RUNNING means the state is loaded.
 * </ol>
 *
 * All three on the same running cluster.
 */
public final class CheckpointBench {
  private CheckpointBench() {}

  public static Rows.Checkpoint run(
      LocalCluster.S3 s3, String runPrefix, long keys, long records, int parallelism, int partitions, String backend)
      throws Exception {
    System.gc();
    Probes.reset();
    String dir = "s3://" + s3.bucket() + "/" + runPrefix + "/" + backend + "-" + keys;
    try (LocalCluster cluster = new LocalCluster(parallelism, s3)) {
      StreamExecutionEnvironment env = JobEnv.withCheckpoints(parallelism, dir, backend);
      CountJob.build(env, records, keys, partitions);
      JobID job = cluster.submit(LocalCluster.jobGraph(env, "count-" + keys, null));
      LocalCluster.await("all records processed", () -> Probes.totalProcessed(parallelism) >= records, Duration.ofMinutes(15));
      LocalCluster.Checkpoint chk = cluster.checkpoint(job, Duration.ofMinutes(10));
      cluster.cancel(job);
      String path = chk.stats().getExternalPath();

      StreamExecutionEnvironment freshEnv = JobEnv.withCheckpoints(parallelism, dir, backend);
      CountJob.build(freshEnv, 0, keys, partitions);
      double freshMs = timeStart(cluster, LocalCluster.jobGraph(freshEnv, "count-fresh", null)).ms();

      StreamExecutionEnvironment restoreEnv = JobEnv.withCheckpoints(parallelism, dir, backend);
      CountJob.build(restoreEnv, records, keys, partitions);
      StartTime restore = timeStart(cluster, LocalCluster.jobGraph(restoreEnv, "count-restore", path));

      return new Rows.Checkpoint(
          keys, parallelism, ThroughputBench.round3(chk.wallMs()), chk.stats().getCheckpointedSize(),
          restore.ms(), backend, records, chk.stats().getEndToEndDuration(),
          chk.stats().getMetadataSize(), freshMs, restore.longestInitializingMs());
    }
  }

  /** Submit → all subtasks RUNNING (ms), and the longest INITIALIZING → RUNNING span of one subtask (ms). */
  private record StartTime(double ms, long longestInitializingMs) {}

  /** Submits {@code graph}, waits until all subtasks are RUNNING, cancels it. */
  private static StartTime timeStart(LocalCluster cluster, JobGraph graph) throws Exception {
    long submittedAt = System.currentTimeMillis();
    JobID id = cluster.submit(graph);
    LocalCluster.Started s = cluster.awaitAllRunning(id, Duration.ofMinutes(10));
    cluster.cancel(id);
    return new StartTime(s.allRunningAtMs() - submittedAt, s.maxInitializingMs());
  }
}
