package dev.sluice.bench.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The Flink side of the Kafka benchmark (bench/kafka/run.ts drives it; docs/benchmarks.md "Kafka
 * in and out"): KafkaSource (earliest) → the Nexmark Q1 map on JSON bids → KafkaSink with
 * {@link DeliveryGuarantee#EXACTLY_ONCE}, checkpointing every {@code --checkpoint-interval-ms}
 * into the benchmark's MinIO, on a MiniCluster with one single-slot TaskManager per subtask.
 *
 * <pre>
 * java ... dev.sluice.bench.flink.KafkaPipelineBench --bootstrap 127.0.0.1:PORT
 *   --input-topic T --output-topic O --mode throughput|latency --parallelism P
 *   --checkpoint-interval-ms MS --transactional-id-prefix X
 *   [--warmup-input-topic T --warmup-output-topic W --warmup-fraction 0.25]
 * </pre>
 *
 * <p>Every run first runs the job once, discarded, bounded at {@code --warmup-fraction} of each
 * partition of the warm-up input topic, into the warm-up output topic (JVM warm-up). Then
 * {@code throughput}: the measured job reads the input topic bounded at its latest offsets and
 * ends after its final checkpoint has committed; {@code latency}: the job reads unbounded until a
 * line {@code stop} (or end of file) arrives on stdin, and is then cancelled.
 *
 * <p>Protocol with the driver: one JSON object per stdout line prefixed {@code KAFKA-BENCH }, with
 * {@code event} one of {@code warmup-done}, {@code measured-start} (just before the measured job is
 * submitted), {@code running} (latency: every subtask RUNNING), {@code finished}, {@code stopped}.
 * Flink's own log goes to the file of {@code -Dbench.log}. Exit 1 with the cause on stderr when a
 * job fails. Reads BENCH_S3_ENDPOINT, BENCH_S3_ACCESS_KEY, BENCH_S3_SECRET_KEY, BENCH_S3_BUCKET.
 */
public final class KafkaPipelineBench {
  private KafkaPipelineBench() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Nexmark Q1 on a JSON bid: price × 0.908 (as Sluice's q1Row), channel and url dropped, sentAt kept. */
  static final class Q1Map implements MapFunction<String, String> {
    private transient ObjectMapper mapper;

    @Override
    public String map(String value) throws Exception {
      if (mapper == null) mapper = new ObjectMapper();
      JsonNode in = mapper.readTree(value);
      ObjectNode out = mapper.createObjectNode();
      out.put("auction", in.get("auction").asLong());
      out.put("bidder", in.get("bidder").asLong());
      out.put("price", (in.get("price").asLong() * 908) / 1000.0);
      out.put("dateTime", in.get("dateTime").asLong());
      JsonNode sentAt = in.get("sentAt");
      if (sentAt != null) out.put("sentAt", sentAt.asLong());
      return mapper.writeValueAsString(out);
    }
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      if (!argv[i].startsWith("--")) throw new IllegalArgumentException("expected --option value, got " + argv[i]);
      a.put(argv[i].substring(2), argv[i + 1]);
    }
    String bootstrap = required(a, "bootstrap");
    String input = required(a, "input-topic");
    String output = required(a, "output-topic");
    String mode = required(a, "mode");
    int parallelism = Integer.parseInt(required(a, "parallelism"));
    long intervalMs = Long.parseLong(required(a, "checkpoint-interval-ms"));
    String prefix = required(a, "transactional-id-prefix");
    double warmupFraction = Double.parseDouble(a.getOrDefault("warmup-fraction", "0.25"));
    String warmupInput = a.getOrDefault("warmup-input-topic", input);
    String warmupOutput = a.get("warmup-output-topic");
    if (!mode.equals("throughput") && !mode.equals("latency")) throw new IllegalArgumentException("--mode throughput|latency");

    LocalCluster.S3 s3 =
        new LocalCluster.S3(
            env("BENCH_S3_ENDPOINT"), env("BENCH_S3_ACCESS_KEY"), env("BENCH_S3_SECRET_KEY"), env("BENCH_S3_BUCKET"));
    String checkpoints = "s3://" + s3.bucket() + "/flink-kafka/" + prefix;
    try (LocalCluster cluster = new LocalCluster(parallelism, s3)) {
      if (warmupOutput != null && warmupFraction > 0) {
        long t0 = System.nanoTime();
        Map<TopicPartition, Long> stops = warmupStops(bootstrap, warmupInput, warmupFraction);
        StreamExecutionEnvironment env = JobEnv.withPeriodicCheckpoints(parallelism, intervalMs, checkpoints + "/warmup");
        pipeline(env, bootstrap, warmupInput, OffsetsInitializer.offsets(stops), warmupOutput, prefix + "-warmup");
        JobID id = cluster.submit(LocalCluster.jobGraph(env, "kafka-q1-warmup", null));
        cluster.awaitSuccess(id, Duration.ofHours(2));
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("records", stops.values().stream().mapToLong(Long::longValue).sum());
        e.put("seconds", (System.nanoTime() - t0) / 1e9);
        emit("warmup-done", e);
      }
      StreamExecutionEnvironment env = JobEnv.withPeriodicCheckpoints(parallelism, intervalMs, checkpoints + "/" + mode);
      pipeline(env, bootstrap, input, mode.equals("throughput") ? OffsetsInitializer.latest() : null, output, prefix);
      var graph = LocalCluster.jobGraph(env, "kafka-q1-" + mode, null);
      emit("measured-start", Map.of());
      JobID id = cluster.submit(graph);
      if (mode.equals("throughput")) {
        cluster.awaitSuccess(id, Duration.ofHours(4));
        emit("finished", Map.of());
      } else {
        cluster.awaitAllRunning(id, Duration.ofMinutes(5));
        emit("running", Map.of());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) if (line.trim().equals("stop")) break;
        if (cluster.isDone(id)) cluster.awaitSuccess(id, Duration.ofSeconds(10)); // ended on its own: a failure
        cluster.cancel(id);
        emit("stopped", Map.of());
      }
    }
    System.exit(0);
  }

  /** Source → Q1 map → exactly-once sink; {@code bounded} null: unbounded. */
  static void pipeline(
      StreamExecutionEnvironment env, String bootstrap, String input, OffsetsInitializer bounded, String output, String prefix) {
    KafkaSourceBuilder<String> source =
        KafkaSource.<String>builder()
            .setBootstrapServers(bootstrap)
            .setTopics(input)
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setValueOnlyDeserializer(new SimpleStringSchema())
            // As Sluice's source: partitions assigned by the source, no group, no offset commits.
            .setProperty("commit.offsets.on.checkpoint", "false")
            .setProperty("partition.discovery.interval.ms", "-1")
            .setProperty("isolation.level", "read_committed");
    if (bounded != null) source.setBounded(bounded);
    KafkaSink<String> sink =
        KafkaSink.<String>builder()
            .setBootstrapServers(bootstrap)
            .setRecordSerializer(
                KafkaRecordSerializationSchema.builder()
                    .setTopic(output)
                    .setValueSerializationSchema(new SimpleStringSchema())
                    .build())
            .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
            .setTransactionalIdPrefix(prefix)
            // Flink's default (1 h) is above the broker's transaction.max.timeout.ms (15 min);
            // 900 000 ms is also the Sluice sink's default.
            .setProperty("transaction.timeout.ms", "900000")
            .build();
    env.fromSource(source.build(), WatermarkStrategy.noWatermarks(), "kafka-source")
        .map(new Q1Map())
        .name("q1-to-euro")
        .sinkTo(sink)
        .name("kafka-sink");
  }

  /** Per partition of {@code topic}: floor(end offset × fraction). */
  static Map<TopicPartition, Long> warmupStops(String bootstrap, String topic, double fraction) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      Map<TopicPartition, OffsetSpec> req = new HashMap<>();
      for (TopicPartitionInfo i : d.partitions()) req.put(new TopicPartition(topic, i.partition()), OffsetSpec.latest());
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(req).all().get();
      Map<TopicPartition, Long> stops = new HashMap<>();
      for (var e : ends.entrySet()) stops.put(e.getKey(), (long) Math.floor(e.getValue().offset() * fraction));
      return stops;
    }
  }

  private static void emit(String event, Map<String, Object> fields) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("event", event);
    m.putAll(fields);
    System.out.println("KAFKA-BENCH " + JSON.writeValueAsString(m));
    System.out.flush();
  }

  private static String required(Map<String, String> a, String k) {
    String v = a.get(k);
    if (v == null) throw new IllegalArgumentException("--" + k + " is required");
    return v;
  }

  private static String env(String k) {
    String v = System.getenv(k);
    if (v == null || v.isEmpty()) throw new IllegalStateException(k + " is not set");
    return v;
  }
}
