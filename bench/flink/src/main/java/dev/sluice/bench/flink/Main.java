package dev.sluice.bench.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.runtime.util.EnvironmentInformation;

/**
 * The Flink side of Sluice's side-by-side runtime benchmark: runs the scenarios on a local
 * MiniCluster, prints a table and writes the JSON shared with the Sluice side.
 *
 * <pre>
 * java ... dev.sluice.bench.flink.Main [--out bench/results/flink-runtime.json]
 *   [--scenarios throughput,latency,checkpoints] [--parallelism 1,2]
 *   [--wordcount-lines 6000000] [--nexmark-events 20000000]
 *   [--nexmark-queries nexmark-q0,nexmark-q1,nexmark-q2,nexmark-q5,nexmark-q7]
 *   [--latency-rate 50000] [--latency-warmup-s 5] [--latency-seconds 20] [--buffer-timeouts 100,5]
 *   [--keys 10000,100000,1000000] [--with-10m false] [--count-records 0 (= keys)] [--checkpoint-repeats 3]
 *   [--backends hashmap,rocksdb] [--snapshot-compression false]
 *   [--object-reuse false,true] [--warmup-fraction 0.25]
 *   state-incremental (not run by default; its own results file, {@link StateResults}):
 *   [--state-keys 1000000,10000000] [--state-update-fraction 0.01] [--state-rounds 10]
 *   [--state-managed-mib 256] [--state-out bench/results/flink-state.json]
 * </pre>
 *
 * The runtime results file ({@code --out}) is written when one of throughput, latency and
 * checkpoints ran. The checkpoint scenarios read the MinIO endpoint, credentials and bucket from
 * BENCH_S3_ENDPOINT, BENCH_S3_ACCESS_KEY, BENCH_S3_SECRET_KEY, BENCH_S3_BUCKET.
 */
public final class Main {
  private Main() {}

  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();
  /** Scenarios written to the runtime results file ({@code --out}). */
  private static final Set<String> RUNTIME_SCENARIOS = Set.of("throughput", "latency", "checkpoints");
  private static final String STATE_INCREMENTAL = "state-incremental";

  static {
    DEFAULTS.put("out", "bench/results/flink-runtime.json");
    DEFAULTS.put("scenarios", "throughput,latency,checkpoints");
    DEFAULTS.put("parallelism", "1,2");
    DEFAULTS.put("wordcount-lines", "6000000");
    // The same defaults as bench/runtime/run.ts (--wordcount-lines, --nexmark-events, --nexmark-queries).
    DEFAULTS.put("nexmark-events", "20000000");
    DEFAULTS.put("nexmark-queries", "nexmark-q0,nexmark-q1,nexmark-q2,nexmark-q5,nexmark-q7");
    DEFAULTS.put("latency-rate", "50000");
    DEFAULTS.put("latency-warmup-s", "5");
    DEFAULTS.put("latency-seconds", "20");
    DEFAULTS.put("buffer-timeouts", "100,5");
    DEFAULTS.put("keys", "10000,100000,1000000");
    DEFAULTS.put("with-10m", "false");
    DEFAULTS.put("count-records", "0");
    DEFAULTS.put("checkpoint-repeats", "3");
    DEFAULTS.put("backends", "hashmap,rocksdb");
    DEFAULTS.put("snapshot-compression", "false");
    DEFAULTS.put("object-reuse", "false,true");
    DEFAULTS.put("warmup-fraction", "0.25");
    // state-incremental: the same defaults as bench/state/run.ts (--keys, --update-fraction, --rounds, --incremental-memory-mib).
    DEFAULTS.put("state-keys", "1000000,10000000");
    DEFAULTS.put("state-update-fraction", "0.01");
    DEFAULTS.put("state-rounds", "10");
    DEFAULTS.put("state-managed-mib", "256");
    DEFAULTS.put("state-out", "bench/results/flink-state.json");
    DEFAULTS.put("run-prefix", "flink-bench/run-" + System.currentTimeMillis());
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = parse(argv);
    Set<String> scenarios = Set.copyOf(Arrays.stream(a.get("scenarios").split(",")).map(String::trim).toList());
    for (String s : scenarios) {
      if (!RUNTIME_SCENARIOS.contains(s) && !s.equals(STATE_INCREMENTAL)) {
        throw new IllegalArgumentException("--scenarios: unknown scenario " + s + "; known: " + RUNTIME_SCENARIOS + " and " + STATE_INCREMENTAL);
      }
    }
    // Throughput runs every job with each object-reuse value; latency and checkpoints use the first.
    JobEnv.objectReuse = Boolean.parseBoolean(a.get("object-reuse").split(",")[0].trim());
    List<Integer> parallelisms = ints(a.get("parallelism"));
    SyntheticCorpus corpus = SyntheticCorpus.defaults();
    NexmarkGenerator nexmark = new NexmarkGenerator();

    List<Double> loadStart = loadAverage();
    String version = EnvironmentInformation.getVersion();
    Map<String, Object> provenance = Provenance.start(a, version, corpus, nexmark);
    String runtime = System.getProperty("java.runtime.name") + " " + System.getProperty("java.runtime.version");
    System.out.printf("Flink %s on %s, %d cpus; MiniCluster in this JVM (max heap %d MiB); load average %s%n",
        version, runtime, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, loadStart);

    List<Rows.Throughput> throughput = new ArrayList<>();
    if (scenarios.contains("throughput")) {
      long lines = Long.parseLong(a.get("wordcount-lines"));
      long events = Long.parseLong(a.get("nexmark-events"));
      List<Boolean> reuses = Arrays.stream(a.get("object-reuse").split(",")).map(String::trim).map(Boolean::parseBoolean).toList();
      double warmup = Double.parseDouble(a.get("warmup-fraction"));
      for (int p : parallelisms) {
        for (boolean reuse : reuses) {
          System.out.printf("throughput: wordcount, %,d lines, parallelism %d, object reuse %s ...%n", lines, p, reuse);
          throughput.add(report(ThroughputBench.run(
              "wordcount", (env, n) -> WordcountJob.build(env, corpus, n, 4), p, lines, reuse, Math.round(lines * warmup))));
        }
      }
      Map<String, ThroughputBench.Job> queries = new LinkedHashMap<>();
      queries.put("nexmark-q0", (env, n) -> NexmarkQueries.q0(env, nexmark, n, 4));
      queries.put("nexmark-q1", (env, n) -> NexmarkQueries.q1(env, nexmark, n, 4));
      queries.put("nexmark-q2", (env, n) -> NexmarkQueries.q2(env, nexmark, n, 4));
      queries.put("nexmark-q5", (env, n) -> NexmarkQ5Job.build(env, nexmark, n, 4, 10_000, 2_000));
      queries.put("nexmark-q7", (env, n) -> NexmarkQ7Job.build(env, nexmark, n, 4, 10_000));
      for (String q : a.get("nexmark-queries").split(",")) {
        ThroughputBench.Job job = queries.get(q.trim());
        if (job == null) throw new IllegalArgumentException("--nexmark-queries: unknown query " + q + "; known: " + queries.keySet());
        for (int p : parallelisms) {
          for (boolean reuse : reuses) {
            System.out.printf("throughput: %s, %,d events, parallelism %d, object reuse %s ...%n", q.trim(), events, p, reuse);
            throughput.add(report(ThroughputBench.run(q.trim(), job, p, events, reuse, Math.round(events * warmup))));
          }
        }
      }
      JobEnv.objectReuse = Boolean.parseBoolean(a.get("object-reuse").split(",")[0].trim());
    }

    List<Rows.Latency> latency = new ArrayList<>();
    if (scenarios.contains("latency")) {
      long rate = Long.parseLong(a.get("latency-rate"));
      long warmupMs = Long.parseLong(a.get("latency-warmup-s")) * 1000;
      long measureMs = Long.parseLong(a.get("latency-seconds")) * 1000;
      for (long bt : ints(a.get("buffer-timeouts"))) {
        System.out.printf("latency: wordcount at %,d lines/s, parallelism 2, buffer timeout %d ms: warm-up %d s, measure %d s ...%n",
            rate, bt, warmupMs / 1000, measureMs / 1000);
        Rows.Latency r = LatencyBench.run(corpus, 4, 2, rate, warmupMs, measureMs, bt);
        System.out.printf("  p50 %.2f ms, p99 %.2f ms, max %.2f ms (%,d words measured, input %,.0f lines/s)%n",
            r.p50Ms(), r.p99Ms(), r.maxMs(), r.samples(), r.achievedRate());
        latency.add(r);
      }
    }

    List<Rows.Checkpoint> checkpoints = new ArrayList<>();
    if (scenarios.contains("checkpoints")) {
      LocalCluster.S3 s3 = s3();
      long fixedRecords = Long.parseLong(a.get("count-records"));
      int repeats = Integer.parseInt(a.get("checkpoint-repeats"));
      List<Long> keyCounts = new ArrayList<>(longs(a.get("keys")));
      if (Boolean.parseBoolean(a.get("with-10m"))) keyCounts.add(10_000_000L);
      for (String backend : a.get("backends").split(",")) {
        for (long keys : keyCounts) {
          long records = fixedRecords > 0 ? fixedRecords : keys;
          System.out.printf("checkpoint: %,d keys (%,d records), parallelism 2, %s backend, %d× ...%n", keys, records, backend, repeats);
          Rows.Checkpoint r = CheckpointBench.run(
              s3, a.get("run-prefix"), keys, records, 2, 8, backend, Boolean.parseBoolean(a.get("snapshot-compression")), repeats);
          System.out.printf("  checkpoint %.0f ms, %,d bytes; restore %.0f ms (fresh start %.0f ms)%n",
              r.durationMs(), r.bytes(), r.restoreMs(), r.freshStartMs());
          checkpoints.add(r);
        }
      }
    }

    if (scenarios.stream().anyMatch(RUNTIME_SCENARIOS::contains)) {
      writeRuntime(a, version, runtime, loadStart, provenance, throughput, latency, checkpoints);
    }
    if (scenarios.contains(STATE_INCREMENTAL)) StateResults.run(a, version, runtime, s3());
    System.exit(0); // the MiniCluster leaves non-daemon threads behind
  }

  /** Writes the runtime results file ({@code --out}) and prints its table. */
  private static void writeRuntime(
      Map<String, String> a, String version, String runtime, List<Double> loadStart, Map<String, Object> provenance,
      List<Rows.Throughput> throughput, List<Rows.Latency> latency, List<Rows.Checkpoint> checkpoints) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("engine", "flink");
    out.put("version", version);
    out.put("runtime", runtime);
    out.put("machine", Map.of("cpus", Runtime.getRuntime().availableProcessors(), "model", cpuModel()));
    out.put("throughput", throughput);
    out.put("latency", latency);
    out.put("checkpoints", checkpoints);
    List<Double> loadEnd = loadAverage();
    Map<String, Object> load = new LinkedHashMap<>();
    load.put("start", loadStart);
    load.put("end", loadEnd);
    out.put("loadAverage", load);
    Provenance.finish(provenance, loadEnd);
    out.put("provenance", provenance);
    out.put("notes", Notes.all(a));
    File file = new File(a.get("out"));
    if (file.getParentFile() != null) file.getParentFile().mkdirs();
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file, out);
    Table.print(throughput, latency, checkpoints);
    System.out.println("\nload average (1, 5, 15 min): " + loadStart + " at start, " + loadEnd + " at end (2 cores)");
    System.out.println("\nwrote " + file.getPath());
  }

  /** The MinIO of the checkpoint scenarios, from the environment run.sh sets. */
  private static LocalCluster.S3 s3() {
    return new LocalCluster.S3(env("BENCH_S3_ENDPOINT"), env("BENCH_S3_ACCESS_KEY"), env("BENCH_S3_SECRET_KEY"), env("BENCH_S3_BUCKET"));
  }

  private static Rows.Throughput report(Rows.Throughput r) {
    System.out.printf("  %,.0f events/s per worker (subtasks %s; steady %.1f s of %.1f s; %.2f cores busy, %,.0f events per CPU second)%n",
        r.eventsPerSecondPerWorker(), r.perSubtask(), r.steadySeconds(), r.wholeRunSeconds(), r.cpuCores(), r.eventsPerCpuSecond());
    return r;
  }

  private static String env(String name) {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) throw new IllegalArgumentException(name + " is not set (run through bench/flink/run.sh)");
    return v;
  }

  /** The machine's load average over 1, 5 and 15 min (empty when unknown). */
  static List<Double> loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return List.of(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
    } catch (Exception ignored) {
      return List.of();
    }
  }

  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
      }
    } catch (Exception ignored) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  private static Map<String, String> parse(String[] argv) {
    Map<String, String> a = new HashMap<>(DEFAULTS);
    for (int i = 0; i < argv.length; i++) {
      String k = argv[i];
      boolean flag = k.equals("--with-10m") && (i + 1 >= argv.length || argv[i + 1].startsWith("--"));
      if (flag) {
        a.put("with-10m", "true");
        continue;
      }
      if (!k.startsWith("--") || !DEFAULTS.containsKey(k.substring(2)) || i + 1 >= argv.length) {
        throw new IllegalArgumentException("unknown or incomplete option " + k + "; options: " + DEFAULTS);
      }
      a.put(k.substring(2), argv[++i]);
    }
    return a;
  }

  private static List<Integer> ints(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).map(Integer::parseInt).toList();
  }

  private static List<Long> longs(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).map(Long::parseLong).toList();
  }
}
