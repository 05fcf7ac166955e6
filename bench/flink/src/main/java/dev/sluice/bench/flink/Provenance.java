package dev.sluice.bench.flink;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The {@code provenance} block of the results file, in the shape of Sluice's bench/provenance.ts
 * (bench/compare.ts refuses to compare files of different runs, commits, machines or inputs):
 * run id ({@code BENCH_RUN_ID}), date, machine, load averages, tool versions, git commit and
 * dirty flag (from bench/flink/run.sh: {@code BENCH_GIT_COMMIT}, {@code BENCH_GIT_DIRTY},
 * {@code BENCH_NODE_VERSION}), the generator inputs and every parameter.
 */
final class Provenance {
  private Provenance() {}

  static Map<String, Object> start(
      Map<String, String> parameters, String flinkVersion, SyntheticCorpus corpus, NexmarkGenerator nexmark) {
    return start(parameters, flinkVersion, inputs(corpus, nexmark));
  }

  /** The provenance of a run starting now whose input is described by {@code inputs}. */
  static Map<String, Object> start(Map<String, String> parameters, String flinkVersion, Map<String, Object> inputs) {
    Map<String, Object> p = new LinkedHashMap<>();
    String date = Instant.now().toString();
    String commit = env("BENCH_GIT_COMMIT", "unknown");
    String runId = env("BENCH_RUN_ID", "");
    if (runId.isEmpty()) {
      runId = date.replaceAll("[-:]|\\.\\d+", "") + "-" + commit.substring(0, Math.min(7, commit.length()))
          + "-" + UUID.randomUUID().toString().substring(0, 4);
    }
    p.put("runId", runId);
    p.put("date", date);
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("cpuModel", Main.cpuModel());
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    machine.put("memoryBytes", memTotalBytes());
    p.put("machine", machine);
    Map<String, Object> load = new LinkedHashMap<>();
    load.put("start", Main.loadAverage());
    load.put("end", null);
    p.put("loadAverage", load);
    Map<String, String> tools = new LinkedHashMap<>();
    tools.put("java", System.getProperty("java.runtime.version"));
    tools.put("flink", flinkVersion);
    String node = env("BENCH_NODE_VERSION", "");
    if (!node.isEmpty()) tools.put("node", node);
    p.put("tools", tools);
    Map<String, Object> git = new LinkedHashMap<>();
    git.put("commit", commit);
    git.put("dirty", !"false".equals(env("BENCH_GIT_DIRTY", "true")));
    p.put("git", git);
    p.put("inputs", inputs);
    p.put("parameters", new TreeMap<>(parameters));
    return p;
  }

  /** The generator settings of the throughput jobs; the same shape as bench/collect-provenance.ts benchmarkInputs. */
  static Map<String, Object> inputs(SyntheticCorpus corpus, NexmarkGenerator g) {
    Map<String, Object> wc = new LinkedHashMap<>();
    wc.put("partitions", 4);
    wc.put("seed", corpus.seed);
    wc.put("vocabulary", corpus.vocabulary);
    wc.put("wordsPerLine", corpus.wordsPerLine);
    Map<String, Object> nx = new LinkedHashMap<>();
    nx.put("partitions", 4);
    nx.put("seed", g.seed);
    nx.put("eventsPerSecond", g.eventsPerSecond);
    nx.put("baseTime", g.baseTime);
    nx.put("inFlightAuctions", g.inFlightAuctions);
    nx.put("activePeople", g.activePeople);
    nx.put("hotAuctionRatio", g.hotAuctionRatio);
    nx.put("hotBidderRatio", g.hotBidderRatio);
    nx.put("hotSellerRatio", g.hotSellerRatio);
    nx.put("auctionDurationMs", g.auctionDurationMs);
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("wordcount", wc);
    in.put("nexmark", nx);
    return in;
  }

  /** Sets the load averages at the end of the run. */
  @SuppressWarnings("unchecked")
  static void finish(Map<String, Object> p, List<Double> loadEnd) {
    ((Map<String, Object>) p.get("loadAverage")).put("end", loadEnd);
  }

  private static long memTotalBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    } catch (Exception ignored) {
      // not Linux
    }
    return Runtime.getRuntime().maxMemory();
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null ? fallback : v;
  }
}
