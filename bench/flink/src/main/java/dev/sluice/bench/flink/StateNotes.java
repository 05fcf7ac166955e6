package dev.sluice.bench.flink;

import java.util.List;

/** The definitions and every setting of the {@code state-incremental} scenario, for the JSON's {@code notes}. */
final class StateNotes {
  private StateNotes() {}

  static List<String> all(int managedMiB) {
    return List.of(
        "Flink: Apache Flink from its Maven Central artifacts, DataStream API, in a MiniCluster inside one JVM with one TaskManager of one slot;"
            + " the job (bench/state/keyed-value-job.ts ported: KeyedValueJob) at parallelism 1: gated source → keyBy → ValueState<Tuple2<Long, Long>>"
            + " (n, updates; 16 bytes serialized, the key a String k<i>) → discarding sink. The source and the keyed operator are two tasks in the same"
            + " TaskManager (a local channel, no TCP). Record n carries key k<i>, i = n for n < keys, else ((n − keys) · s) mod keys with"
            + " s = strideFor(keys) (checked against the TypeScript by GeneratorCheck).",
        "Options set: state.backend.type = rocksdb (EmbeddedRocksDBStateBackend); execution.checkpointing.incremental = true;"
            + " taskmanager.memory.managed.size = " + managedMiB + " MiB (with state.backend.rocksdb.memory.managed = true, Flink's default, RocksDB's"
            + " block cache and write buffers of the slot share this budget; one slot and no other consumer, so RocksDB gets all of it — Sluice's side gets"
            + " the same via SLUICE_STATE_MEMORY_BYTES); execution.checkpointing.dir = s3://… (the MinIO of BENCH_S3_ENDPOINT on loopback: bench/state passes the one its Sluice side writes to; flink-s3-fs-presto);"
            + " execution.checkpointing.interval = 1 day and execution.checkpointing.min-pause = 1 day (checkpoints only when the driver triggers"
            + " them: Flink 2.3 restarts its checkpoint scheduler when the tasks reach RUNNING with the minimum pause as the delay, so with the default"
            + " pause 0 a periodic checkpoint fired during the load; the bench checks that the checkpoint ids have no gap), timeout = 30 min;"
            + " execution.checkpointing.externalized-checkpoint-retention = RETAIN_ON_CANCELLATION; pipeline.max-parallelism = 128; restart-strategy = none;"
            + " execution.buffer-timeout = 100 ms and pipeline.object-reuse = false (Flink's defaults, set explicitly).",
        "Everything else is Flink's default, no compaction or RocksDB tuning: state.backend.rocksdb.predefined-options = DEFAULT, compaction.style = LEVEL"
            + " (use-dynamic-size false, target-file-size-base 64 MB), writebuffer.size 64 MB, memory.write-buffer-ratio 0.5, memory.high-prio-pool-ratio 0.1,"
            + " compression.per.level SNAPPY_COMPRESSION, thread.num 2, checkpoint.transfer.thread.num 4; execution.checkpointing.snapshot-compression false;"
            + " execution.checkpointing.num-retained 1; execution.checkpointing.data-inline-threshold 20 KB; file merging off; local recovery off;"
            + " RocksDB's working directory in the TaskManager's temp dir.",
        "Measured like Sluice's bench/state/incremental.ts: load = the gate raised by `keys` records (the driver, in the same JVM, raises a release count;"
            + " the source emits record n only while n < release and never ends); loadMs / updateMs = gate raised → the keyed operator counted every released"
            + " record (polled every 20 ms). Then a checkpoint: MiniCluster.triggerCheckpoint(job, CheckpointType.CONFIGURED) — incremental; FULL would"
            + " make RocksDB upload every file. durationMs = wall time from the trigger call until the checkpoint is complete (every task acknowledged,"
            + " _metadata written); flinkEndToEndMs = Flink's own trigger → last acknowledgement. bytes = Flink's state size of the checkpoint (every file"
            + " it references: the full state); uploadedBytes = Flink's checkpointed size (what this checkpoint wrote: new SST files, RocksDB's private"
            + " files MANIFEST/OPTIONS/CURRENT, the source's split state); sharedFiles = the SST files the checkpoint's _metadata references. After the"
            + " rounds, every update is checked to have found its key's value.",
        "One run on a shared 2-core machine (other work may have been running; see provenance.loadAverage): figures are indicative.");
  }
}
