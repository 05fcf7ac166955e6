package dev.sluice.bench.flink;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.checkpoint.RestoredCheckpointStats;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

/**
 * A Flink MiniCluster in this JVM shaped like a Sluice job's workers: {@code taskManagers}
 * TaskManagers with one slot each (a parallelism-p job gets one TaskManager per subtask, and
 * records between subtasks cross Flink's network stack over loopback TCP, as Sluice's shuffle
 * does), everything bound to 127.0.0.1. The S3 filesystem (flink-s3-fs-presto, found on the
 * class path) is configured for the benchmark's MinIO.
 */
public final class LocalCluster implements AutoCloseable {
  private final MiniCluster cluster;

  /** S3 endpoint and credentials of the MinIO that holds checkpoints. */
  public record S3(String endpoint, String accessKey, String secretKey, String bucket) {}

  /** Flink managed memory per TaskManager (RocksDB's budget; unused by the heap backend), MiB. */
  public static final int DEFAULT_MANAGED_MIB = 256;

  public LocalCluster(int taskManagers, S3 s3) throws Exception {
    this(taskManagers, s3, DEFAULT_MANAGED_MIB);
  }

  /**
   * @param managedMiB {@code taskmanager.memory.managed.size} of each TaskManager, MiB: with
   *     one slot per TaskManager and RocksDB's default {@code state.backend.rocksdb.memory.managed},
   *     the RocksDB instances of a slot share this budget (block cache and write buffers)
   */
  public LocalCluster(int taskManagers, S3 s3, int managedMiB) throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_PORT, "0");
    conf.set(JobManagerOptions.ADDRESS, "127.0.0.1");
    conf.set(TaskManagerOptions.HOST, "127.0.0.1");
    conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(managedMiB)); // RocksDB only
    if (s3 != null) {
      conf.setString("s3.endpoint", s3.endpoint());
      conf.setString("s3.path.style.access", "true");
      conf.setString("s3.access-key", s3.accessKey());
      conf.setString("s3.secret-key", s3.secretKey());
    }
    FileSystem.initialize(conf, null);
    cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(taskManagers)
                .setNumSlotsPerTaskManager(1)
                .setCommonBindAddress("127.0.0.1")
                .withRandomPorts()
                .build());
    cluster.start();
  }

  /** The execution graph of a job built by {@code env}, restoring {@code restorePath} when not null. */
  public static JobGraph jobGraph(StreamExecutionEnvironment env, String name, String restorePath) {
    StreamGraph graph = env.getStreamGraph();
    graph.setJobName(name);
    if (restorePath != null) graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(restorePath));
    return graph.getJobGraph();
  }

  public JobID submit(JobGraph job) throws Exception {
    return cluster.submitJob(job).get().getJobID();
  }

  /** Waits for the job's end; throws with its failure cause unless it succeeded. */
  public void awaitSuccess(JobID id, Duration timeout) throws Exception {
    JobResult r = cluster.requestJobResult(id).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!r.isSuccess()) {
      throw new IllegalStateException("job failed", r.getSerializedThrowable().get().deserializeError(getClass().getClassLoader()));
    }
  }

  public boolean isDone(JobID id) throws Exception {
    return cluster.getJobStatus(id).get().isGloballyTerminalState();
  }

  public void cancel(JobID id) throws Exception {
    cluster.cancelJob(id).get();
    cluster.requestJobResult(id).get(120, TimeUnit.SECONDS);
  }

  /**
   * Times of a job start: every subtask RUNNING (Flink moves a task to RUNNING after its state is
   * restored and its operators are open); the checkpoint it restored (−1: none) and that
   * checkpoint's state size (bytes).
   */
  public record Started(long allRunningAtMs, long maxInitializingMs, long restoredCheckpointId, long restoredBytes) {}

  /**
   * Polls until every subtask of the job is RUNNING. Returns the wall-clock time (ms since the
   * epoch) at which the last one switched to RUNNING, from the execution graph's state
   * timestamps, and the longest INITIALIZING → RUNNING span of a subtask (state restore and
   * operator open).
   */
  public Started awaitAllRunning(JobID id, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      AccessExecutionGraph g;
      try {
        g = cluster.getExecutionGraph(id).get();
      } catch (Exception notYet) {
        Thread.sleep(5);
        continue;
      }
      if (g.getState().isGloballyTerminalState()) {
        throw new IllegalStateException("job " + id + " ended while starting: " + g.getState() + " " + g.getFailureInfo());
      }
      boolean all = g.getState() == JobStatus.RUNNING;
      long last = 0;
      long init = 0;
      for (AccessExecutionVertex v : g.getAllExecutionVertices()) {
        if (v.getExecutionState() != ExecutionState.RUNNING) {
          all = false;
          break;
        }
        long running = v.getStateTimestamp(ExecutionState.RUNNING);
        last = Math.max(last, running);
        init = Math.max(init, running - v.getStateTimestamp(ExecutionState.INITIALIZING));
      }
      if (all) {
        RestoredCheckpointStats restored = g.getCheckpointStatsSnapshot().getLatestRestoredCheckpoint();
        return restored == null
            ? new Started(last, init, -1, 0)
            : new Started(last, init, restored.getCheckpointId(), restored.getStateSize());
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException("job " + id + " not running after " + timeout);
  }

  /** A completed checkpoint: wall time from the trigger call to its completion, and Flink's own statistics. */
  public record Checkpoint(long id, double wallMs, CompletedCheckpointStats stats) {}

  /** Triggers a full checkpoint and waits for it to complete. */
  public Checkpoint checkpoint(JobID job, Duration timeout) throws Exception {
    return checkpoint(job, timeout, CheckpointType.FULL);
  }

  /**
   * Triggers a checkpoint of {@code type} and waits for it to complete. {@code FULL} makes an
   * incremental RocksDB backend upload every file (no sharing with earlier checkpoints);
   * {@code CONFIGURED} takes the kind the job is configured for (incremental when
   * {@code execution.checkpointing.incremental} is on).
   */
  public Checkpoint checkpoint(JobID job, Duration timeout, CheckpointType type) throws Exception {
    long t0 = System.nanoTime();
    long id = cluster.triggerCheckpoint(job, type).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    double wallMs = (System.nanoTime() - t0) / 1e6;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      AbstractCheckpointStats s =
          cluster.getExecutionGraph(job).get().getCheckpointStatsSnapshot().getHistory().getCheckpointById(id);
      if (s != null && s.getStatus() == CheckpointStatsStatus.COMPLETED) return new Checkpoint(id, wallMs, (CompletedCheckpointStats) s);
      Thread.sleep(20);
    }
    throw new IllegalStateException("checkpoint " + id + " completed but has no statistics");
  }

  /** Polls {@code condition} every 20 ms. */
  public static void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for " + what);
      Thread.sleep(20);
    }
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
