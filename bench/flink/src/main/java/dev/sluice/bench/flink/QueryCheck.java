package dev.sluice.bench.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs the Flink side's Nexmark queries on a small input in a MiniCluster (parallelism 2, two
 * TaskManagers, as the benchmark; rows gathered by CollectSink)
 * and writes each query's rows as JSON lines, for bench/flink/query-check.ts to compare with the
 * straightforward references of test/harness/nexmark-reference.ts (the same references Sluice's
 * built-in jobs are tested against):
 *
 * <pre>java ... dev.sluice.bench.flink.QueryCheck OUT_DIR EVENTS</pre>
 *
 * writes OUT_DIR/nexmark-q0.jsonl … nexmark-q7.jsonl (q5: HOP 10 s / 2 s; q7: TUMBLE 10 s).
 */
public final class QueryCheck {
  private QueryCheck() {}

  interface Query {
    DataStream<?> rows(StreamExecutionEnvironment env, NexmarkGenerator g, long events);
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    long events = Long.parseLong(args[1]);
    Files.createDirectories(out);
    NexmarkGenerator g = new NexmarkGenerator();
    java.util.Map<String, Query> queries = new java.util.LinkedHashMap<>();
    queries.put("nexmark-q0", (env, gen, n) -> NexmarkQueries.q0Rows(env, gen, n, 4));
    queries.put("nexmark-q1", (env, gen, n) -> NexmarkQueries.q1Rows(env, gen, n, 4));
    queries.put("nexmark-q2", (env, gen, n) -> NexmarkQueries.q2Rows(env, gen, n, 4));
    queries.put("nexmark-q5", (env, gen, n) -> NexmarkQ5Job.rows(env, gen, n, 4, 10_000, 2_000));
    queries.put("nexmark-q7", (env, gen, n) -> NexmarkQ7Job.rows(env, gen, n, 4, 10_000));
    ObjectMapper json = new ObjectMapper();
    for (var q : queries.entrySet()) {
      StreamExecutionEnvironment env = JobEnv.create(2, JobEnv.DEFAULT_BUFFER_TIMEOUT_MS);
      q.getValue().rows(env, g, events).sinkTo(new CollectSink<>(q.getKey())).name("collect");
      try (LocalCluster cluster = new LocalCluster(2, null)) {
        JobID id = cluster.submit(LocalCluster.jobGraph(env, q.getKey(), null));
        cluster.awaitSuccess(id, Duration.ofMinutes(5));
      }
      List<Object> rows = CollectSink.collected(q.getKey());
      try (BufferedWriter w = Files.newBufferedWriter(out.resolve(q.getKey() + ".jsonl"))) {
        for (Object r : rows) {
          w.write(json.writeValueAsString(r));
          w.newLine();
        }
      }
      System.out.printf("%s: %,d rows from %,d events%n", q.getKey(), rows.size(), events);
    }
    System.exit(0); // the MiniCluster leaves non-daemon threads behind
  }
}
