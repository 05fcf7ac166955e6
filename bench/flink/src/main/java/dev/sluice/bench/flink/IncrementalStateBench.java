package dev.sluice.bench.flink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The state benchmark's "incremental" scenario (Sluice: {@code bench/state/incremental.ts}) on
 * Flink: does a RocksDB incremental checkpoint cost what changed rather than the whole state?
 * {@link KeyedValueJob} at parallelism 1 on EmbeddedRocksDBStateBackend with incremental
 * checkpoints ({@link JobEnv#withIncrementalRocksDb}), in a MiniCluster of one TaskManager:
 *
 * <ol>
 *   <li>load: the gate is raised by {@code keys} (every key written once); once the keyed
 *       operator processed them all, checkpoint 1 (the first, which uploads everything);
 *   <li>{@code rounds} times: the gate is raised by round(keys · updateFraction) (updates spread
 *       over the key space, {@link KeyedValueKeys}), then a checkpoint.
 * </ol>
 *
 * Checkpoints are triggered as the job is configured ({@code CheckpointType.CONFIGURED}:
 * incremental), one at a time, with nothing in flight.
 */
public final class IncrementalStateBench {
  private IncrementalStateBench() {}

  /**
   * One checkpoint as measured (the shape of Sluice's {@code MeasuredCheckpoint}, bench/state/gated-job.ts).
   *
   * @param durationMs wall time from the trigger call until the checkpoint completed (every task
   *     acknowledged, {@code _metadata} written), ms
   * @param bytes Flink's state size of the checkpoint: every file it references, i.e. the full state, bytes
   * @param uploadedBytes Flink's checkpointed size: what this checkpoint wrote (new SST files,
   *     RocksDB's private files, operator state), bytes
   * @param sharedFiles shared (SST) files the checkpoint references ({@link CheckpointFiles})
   * @param flinkEndToEndMs Flink's own statistic, trigger → last acknowledgement, ms
   * @param metadataBytes size of the checkpoint's {@code _metadata}, bytes
   */
  public record MeasuredCheckpoint(
      long id, long durationMs, long bytes, long uploadedBytes, int sharedFiles, long flinkEndToEndMs, long metadataBytes) {}

  /**
   * One run at one key count (the shape of Sluice's {@code IncrementalRun}, bench/state/incremental.ts,
   * without its memory figures).
   *
   * @param updateFraction share of the keys updated between two later checkpoints
   * @param loadMs gate raised → every key processed, ms
   * @param updateMs per round: gate raised → every update processed, ms
   * @param checkpoints checkpoint 1 (after the load) and those after each round, in order
   * @param updatesPerRound records released per round, round(keys · updateFraction)
   */
  public record IncrementalRun(
      long keys, double updateFraction, long loadMs, List<Long> updateMs, List<MeasuredCheckpoint> checkpoints,
      long updatesPerRound) {}

  /**
   * Runs the scenario (class comment) in a fresh MiniCluster whose TaskManager has
   * {@code managedMiB} of managed memory, checkpointing under {@code s3://bucket/runPrefix/}.
   *
   * @throws IllegalStateException when the job ends, records are not processed within an hour,
   *     or an update did not find its key's value
   */
  public static IncrementalRun run(
      LocalCluster.S3 s3, String runPrefix, long keys, double updateFraction, int rounds, int managedMiB,
      Consumer<String> progress) throws Exception {
    System.gc();
    Probes.reset();
    Gate.reset();
    String dir = "s3://" + s3.bucket() + "/" + runPrefix + "/state-incremental-" + keys;
    try (LocalCluster cluster = new LocalCluster(1, s3, managedMiB)) {
      StreamExecutionEnvironment env = JobEnv.withIncrementalRocksDb(dir);
      KeyedValueJob.build(env, keys);
      JobID job = cluster.submit(LocalCluster.jobGraph(env, "keyed-value-" + keys, null));
      cluster.awaitAllRunning(job, Duration.ofMinutes(2));

      long loadMs = release(cluster, job, keys);
      progress.accept(String.format("loaded %,d keys in %.1f s", keys, loadMs / 1000.0));
      List<MeasuredCheckpoint> checkpoints = new ArrayList<>();
      checkpoints.add(checkpoint(cluster, job, 0));
      progress.accept(describe(checkpoints.get(0)));
      long perRound = Math.round(keys * updateFraction);
      List<Long> updateMs = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        updateMs.add(release(cluster, job, perRound));
        MeasuredCheckpoint c = checkpoint(cluster, job, checkpoints.size());
        checkpoints.add(c);
        progress.accept(String.format("%,d updates in %.1f s; %s", perRound, updateMs.get(r) / 1000.0, describe(c)));
      }
      long found = Probes.totalFound(1);
      if (found != perRound * rounds) {
        throw new IllegalStateException(found + " of " + perRound * rounds + " updates found their key's value");
      }
      cluster.cancel(job);
      return new IncrementalRun(keys, updateFraction, loadMs, updateMs, checkpoints, perRound);
    }
  }

  /**
   * Raises the gate by {@code records} and waits until the keyed operator processed every released
   * record (polled every 20 ms). @return wall time from raising the gate until then, ms
   */
  private static long release(LocalCluster cluster, JobID job, long records) throws Exception {
    long t0 = System.nanoTime();
    long target = Gate.raise(records);
    long deadline = t0 + Duration.ofHours(1).toNanos();
    for (int i = 0; Probes.totalProcessed(1) < target; i++) {
      if (i % 50 == 49 && cluster.isDone(job)) throw new IllegalStateException("job " + job + " ended while processing");
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException((target - Probes.totalProcessed(1)) + " records not processed within an hour");
      }
      Thread.sleep(20);
    }
    return Math.round((System.nanoTime() - t0) / 1e6);
  }

  /**
   * Triggers the next checkpoint (incremental, as configured) and measures it.
   *
   * @param previous checkpoints taken before; the new one must be number {@code previous + 1}
   * @throws IllegalStateException when another checkpoint (e.g. a periodic one) came in between
   */
  private static MeasuredCheckpoint checkpoint(LocalCluster cluster, JobID job, int previous) throws Exception {
    LocalCluster.Checkpoint c = cluster.checkpoint(job, Duration.ofMinutes(30), CheckpointType.CONFIGURED);
    if (c.id() != previous + 1) {
      throw new IllegalStateException("checkpoint " + c.id() + " is not the job's checkpoint " + (previous + 1) + ": another one came in between");
    }
    return new MeasuredCheckpoint(
        c.id(), Math.round(c.wallMs()), c.stats().getStateSize(), c.stats().getCheckpointedSize(),
        CheckpointFiles.sharedFiles(c.stats().getExternalPath()), c.stats().getEndToEndDuration(),
        c.stats().getMetadataSize());
  }

  private static String describe(MeasuredCheckpoint c) {
    return String.format("checkpoint %d: %,d ms (Flink %,d ms), uploaded %,d of %,d bytes, %d shared files",
        c.id(), c.durationMs(), c.flinkEndToEndMs(), c.uploadedBytes(), c.bytes(), c.sharedFiles());
  }
}
