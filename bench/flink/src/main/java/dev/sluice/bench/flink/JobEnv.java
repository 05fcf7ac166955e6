package dev.sluice.bench.flink;

import java.time.Duration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Job-level settings shared by every benchmark job: parallelism, max parallelism 128 (Sluice's
 * default, so both engines hash keys into 128 key groups), no restarts, Flink's network buffer
 * timeout, and — for the checkpoint jobs only — checkpoint storage in S3 with a state backend.
 * Throughput and latency jobs run without checkpoints.
 */
public final class JobEnv {
  private JobEnv() {}

  /** Flink's default network buffer timeout, ms. */
  public static final long DEFAULT_BUFFER_TIMEOUT_MS = 100;

  /**
   * Flink's {@code pipeline.object-reuse} for every job of the run (Flink's default: off, so a
   * record passed between chained operators is copied with its serializer).
   */
  static volatile boolean objectReuse = false;

  public static StreamExecutionEnvironment create(int parallelism, long bufferTimeoutMs) {
    return new StreamExecutionEnvironment(base(parallelism, bufferTimeoutMs));
  }

  /**
   * A job that checkpoints only on request (the periodic interval is an hour) into
   * {@code checkpointDir}, full (non-incremental) snapshots kept after cancellation.
   *
   * @param backend {@code hashmap} (heap) or {@code rocksdb}
   * @param compression Flink's snapshot compression (snappy; off by default)
   */
  public static StreamExecutionEnvironment withCheckpoints(
      int parallelism, String checkpointDir, String backend, boolean compression) {
    Configuration c = base(parallelism, DEFAULT_BUFFER_TIMEOUT_MS);
    c.set(ExecutionOptions.SNAPSHOT_COMPRESSION, compression);
    c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofHours(1));
    c.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(10));
    c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir);
    c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    c.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, false);
    c.set(StateBackendOptions.STATE_BACKEND, backend);
    return new StreamExecutionEnvironment(c);
  }

  /**
   * A parallelism-1 job on {@code EmbeddedRocksDBStateBackend} with incremental checkpoints
   * ({@code execution.checkpointing.incremental}), checkpointing only on request (timeout 30
   * min) into {@code checkpointDir}, kept after cancellation; every RocksDB option at Flink's
   * default (the state benchmark's incremental scenario, {@link IncrementalStateBench}).
   *
   * <p>Periodic checkpoints are pushed out by a day through the minimum pause as well as the
   * interval: Flink 2.3 restarts its checkpoint scheduler when the tasks reach RUNNING with the
   * minimum pause (default 0) as the delay, so an interval alone still lets a periodic checkpoint
   * fire right after the start. The pause does not apply to triggered checkpoints.
   */
  public static StreamExecutionEnvironment withIncrementalRocksDb(String checkpointDir) {
    Configuration c = base(1, DEFAULT_BUFFER_TIMEOUT_MS);
    c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofDays(1));
    c.set(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS, Duration.ofDays(1));
    c.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(30));
    c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir);
    c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    c.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
    c.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
    return new StreamExecutionEnvironment(c);
  }

  /**
   * A job with periodic exactly-once checkpoints every {@code intervalMs} into {@code checkpointDir}
   * (one at a time, no minimum pause: Flink's defaults), heap state backend, checkpoint timeout 10 min.
   * Used by the Kafka benchmark (KafkaPipelineBench), where the sink commits on each checkpoint.
   */
  public static StreamExecutionEnvironment withPeriodicCheckpoints(int parallelism, long intervalMs, String checkpointDir) {
    Configuration c = base(parallelism, DEFAULT_BUFFER_TIMEOUT_MS);
    c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(intervalMs));
    c.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, Duration.ofMinutes(10));
    c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir);
    c.set(StateBackendOptions.STATE_BACKEND, "hashmap");
    return new StreamExecutionEnvironment(c);
  }

  private static Configuration base(int parallelism, long bufferTimeoutMs) {
    Configuration c = new Configuration();
    c.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
    c.set(PipelineOptions.MAX_PARALLELISM, 128);
    c.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    c.set(ExecutionOptions.BUFFER_TIMEOUT, Duration.ofMillis(bufferTimeoutMs));
    c.set(PipelineOptions.OBJECT_REUSE, objectReuse);
    return c;
  }
}
