package dev.sluice.bench.flink;

import java.util.List;
import java.util.Map;

/** The definitions and settings written into the JSON's {@code notes}. */
final class Notes {
  private Notes() {}

  static List<String> all(Map<String, String> a) {
    return List.of(
        "Flink: Apache Flink from its Maven Central artifacts, DataStream API, run in a MiniCluster inside one JVM: p TaskManagers with 1 slot each"
            + " (one per subtask, as Sluice runs one process per worker); records between subtasks go through Flink's network stack over loopback TCP."
            + " Max parallelism 128 (Sluice's default), no restarts, object reuse off and network buffer timeout 100 ms (Flink's defaults) unless a row says otherwise.",
        "Same generators as Sluice: Java ports of runtime-image/src/core/prng.ts, nexmark/generator.ts and jobs/wordcount.ts (syntheticLine, words),"
            + " checked before every run against the TypeScript ones (bench/flink/generator-checksum.ts → GeneratorCheck: sha256 of the first 100,000"
            + " Nexmark events as JSON and of the first 100,000 corpus lines and their tokens). Same split scheme as Sluice's generator source:"
            + " partition k holds records n ≡ k (mod partitions) and is read by subtask k mod p; wordcount and nexmark 4 partitions, count job 8.",
        "throughput: input events/s emitted by the sources (chained with the first operator and backpressured by the keyed stage) between the samples"
            + " where 10 % and 90 % of the bounded input had been emitted (sampled every 20 ms; no start-up, no tail), summed over the subtasks and divided"
            + " by the parallelism. wordcount: events = corpus lines (vocabulary 1000, 8 words per line, seed 1), tokenize → keyBy word → ValueState<Long>"
            + " count emitting (word, count). Nexmark: events = all generated events (default generator config), monotonous watermarks, the queries"
            + " with Sluice's semantics (runtime-image/src/nexmark/): q0 bids projected; q1 price × 0.908; q2 auction % 123 = 0 → (auction, price);"
            + " q5 bids → keyBy auction → sliding windows 10 s / 2 s counting bids → keyBy window end → tumbling 2 s window keeping every auction at"
            + " the maximum count; q7 per auction and tumbling 10 s window the top bids → per window (one key) the maximum and its bids → the previous"
            + " window's boundary bids joined (inclusive BETWEEN). Output to Flink's DiscardingSink; no checkpoints during throughput and latency runs."
            + " Per worker is not per core: a Flink subtask runs every unchained task in its own thread (wordcount: source→tokenize and count→sink;"
            + " nexmark-q5: three), so even p=1 can keep both cores of this machine busy; cpuCores (JVM CPU s / wall s in the steady interval, GC and"
            + " the MiniCluster's own threads included) and eventsPerCpuSecond show that. The JVM is the Flink side's whole process tree"
            + " (Sluice counts its benchmark driver and its workers' process trees; MinIO is left out on both sides)."
            + " Every job runs at every parallelism once with object reuse off and once on (variant), each after a discarded warm-up run of"
            + " the same job in this JVM with warmup-fraction × the events (warmupEvents in the row).",
        "latency: the wordcount pipeline fed at a fixed rate (lines/s over all subtasks; each source subtask takes its partitions' share, token bucket"
            + " as Sluice's, a source out of tokens waits on a timer of ≥ 1 ms); each line carries the wall clock (µs) at which the source generated it,"
            + " right before emitting it, and the keyed count operator (the last before the sink) records now − stamp for each of its words, from "
            + a.get("latency-warmup-s") + " s (warm-up) after its first record for " + a.get("latency-seconds") + " s; p50/p99 from a histogram of 10 µs"
            + " buckets. One row per network buffer timeout: Flink's default 100 ms first (the row bench/compare.ts pairs with Sluice's), then lower"
            + " (Sluice flushes a shuffle batch after 512 records or 5 ms).",
        "checkpoints: bench/runtime/count-job.ts on Flink (exactly `keys` records k<n mod keys> → keyBy → ValueState<Long> count, no output; the source"
            + " stays idle after its last record), parallelism 2. Once every record was processed, " + a.get("checkpoint-repeats") + " FULL checkpoints of"
            + " that state are triggered one after another (MiniCluster.triggerCheckpoint) into the private MinIO through flink-s3-fs-presto (s3://)."
            + " durationMs = median of the wall times from the trigger call until the checkpoint is complete (every task acknowledged, _metadata written;"
            + " durationsMs lists them, the first is usually slowest: cold S3 client and code); flinkEndToEndMs = Flink's own statistic, trigger → last"
            + " acknowledgement. bytes = Flink's checkpointed size of the first checkpoint (all state files; uncompressed unless the backend says +snappy:"
            + " Flink's snapshot compression is off by default, Sluice compresses with zstd). hashmap = HashMapStateBackend (objects on the heap, like Sluice;"
            + " a synchronous copy-on-write capture, then an asynchronous write); rocksdb = EmbeddedRocksDBStateBackend with a full, non-incremental checkpoint.",
        "restore: the job is cancelled (its checkpoints are retained), the same job without state is submitted once (freshStartMs), then the job restoring"
            + " the latest checkpoint " + a.get("checkpoint-repeats") + " times; restoreMs = median of the wall times from submitting the job to the last"
            + " subtask switching to RUNNING, from the execution graph's state timestamps. Flink keeps a task INITIALIZING while it reads and loads its"
            + " state and opens its operators, so RUNNING = state loaded (each restore is checked to report that checkpoint's id as restored, and one more restore fed with the"
            + " next `records` records checks that every one of them finds its key's restored count);"
            + " stateLoadMs = longest INITIALIZING → RUNNING of one subtask. Unlike Sluice's figure (spawning new worker processes), no process or JVM"
            + " is started: the job goes to a running MiniCluster, so restoreMs − freshStartMs is the fairer comparison of the state part.",
        "One run on a shared 2-core machine (other test suites, a kind cluster and benchmarks may have been running; see loadAverage): figures are"
            + " indicative. Options: " + a);
  }
}
