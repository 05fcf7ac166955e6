package dev.sluice.bench.flink;

import java.util.List;
import java.util.Map;

/** The definitions and settings written into the JSON's {@code notes}. */
final class Notes {
  private Notes() {}

  static List<String> all(Map<String, String> a) {
    return List.of(
        "Apache Flink from its Maven Central artifacts, DataStream API, in a MiniCluster inside one JVM: p TaskManagers with 1 slot each"
            + " (one per subtask, like Sluice's one process per worker); records between subtasks go through Flink's network stack over loopback TCP.",
        "Same generators as Sluice (Java ports of runtime-image/src/core/prng.ts, nexmark/generator.ts, jobs/wordcount.ts syntheticLine/words),"
            + " checked against the TypeScript ones by bench/flink/generator-checksum.ts + GeneratorCheck (sha256 of the first events/lines)."
            + " Same split scheme: partition k holds records n ≡ k (mod partitions) and is read by subtask k mod p (wordcount 4, nexmark 4, count job 8 partitions).",
        "throughput: steady state = between the samples where 10 % and 90 % of the input records had been emitted by the sources (sampled every 20 ms),"
            + " events/s per worker = total rate / parallelism. wordcount events = input lines (vocabulary 1000, 8 words per line, seed 1);"
            + " nexmark-q5 events = all generated events (people, auctions, bids; default generator config, windowMs 10000, slideMs 2000)."
            + " Output to a discarding sink, no checkpoints during throughput and latency runs, object reuse off (Flink default).",
        "latency: wordcount at a fixed input rate (lines/s over all subtasks, each subtask its partitions' share, token bucket as Sluice's);"
            + " each line is stamped with the wall clock (µs) when the source emits it, and the keyed count operator records now − stamp for each of its words;"
            + " lines 10 %–90 % of the run are measured; p50/p99 from a 10 µs-bucket histogram. Rows differ by Flink's network buffer timeout"
            + " (Flink's default is 100 ms; Sluice flushes a batch after 512 records or 5 ms).",
        "checkpoints: bench/runtime/count-job.ts on Flink (records k<n mod keys> → keyBy → ValueState<Long> count, no output), parallelism 2,"
            + " max parallelism 128; after every record was processed one FULL checkpoint is triggered (MiniCluster.triggerCheckpoint) into MinIO"
            + " through flink-s3-fs-presto (s3://); durationMs = wall time from the trigger call to the completed checkpoint (metadata written);"
            + " flinkEndToEndMs = Flink's own trigger → last acknowledgement; bytes = Flink's checkpointed size (all state files, uncompressed:"
            + " Flink's snapshot compression is off by default, Sluice compresses with zstd). Backend hashmap = HashMapStateBackend (heap, like Sluice),"
            + " synchronous copy-on-write capture with an asynchronous upload.",
        "restore: the checkpointed job is cancelled (checkpoint retained), then the same job is submitted restoring it; restoreMs = wall time from"
            + " submitting the job to the last subtask switching to RUNNING (a Flink task stays INITIALIZING while it downloads and loads its state and"
            + " opens its operators, so RUNNING = state loaded). freshStartMs = the same for the job without state; stateLoadMs = longest INITIALIZING → RUNNING"
            + " of one subtask. Unlike Sluice's figure (spawning new worker processes), no JVM is started: the TaskManagers are already running.",
        "One run, no repetitions, on a shared 2-core machine (other jobs may have been running): figures are indicative. Options: " + a);
  }
}
