package dev.sluice.bench.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scenario {@code state-incremental} of {@link Main}: {@link IncrementalStateBench} at every key
 * count of {@code --state-keys}, written after each to {@code --state-out} in the shape of Sluice's
 * state results (bench/state/report.ts: {@code engine, version, provenance, machine, parameters,
 * incremental, notes}), then printed as a table.
 */
final class StateResults {
  private StateResults() {}

  /** The same description of the input as Sluice's bench/state/run.ts writes into its provenance. */
  static final String KEYED_VALUE_JOB = "bench/state/keyed-value-job.ts: key k<i>, value {n, updates}, parallelism 1";

  static void run(Map<String, String> a, String version, String runtime, LocalCluster.S3 s3) throws Exception {
    List<Long> keyCounts = Arrays.stream(a.get("state-keys").split(",")).map(String::trim).map(Long::parseLong).toList();
    double fraction = Double.parseDouble(a.get("state-update-fraction"));
    int rounds = Integer.parseInt(a.get("state-rounds"));
    int managedMiB = Integer.parseInt(a.get("state-managed-mib"));
    if (!(fraction > 0 && fraction <= 1) || rounds < 1 || managedMiB < 1) {
      throw new IllegalArgumentException("--state-update-fraction must be in (0, 1], --state-rounds and --state-managed-mib ≥ 1");
    }

    Map<String, String> options = new TreeMap<>();
    a.forEach((k, v) -> {
      if (k.startsWith("state-") || k.equals("scenarios")) options.put(k, v);
    });
    Map<String, Object> provenance = Provenance.start(options, version, Map.of("keyedValueJob", KEYED_VALUE_JOB));
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("keys", keyCounts);
    parameters.put("updateFraction", fraction);
    parameters.put("rounds", rounds);
    parameters.put("managedMemoryMiB", managedMiB);
    parameters.put("parallelism", 1);

    List<IncrementalStateBench.IncrementalRun> runs = new ArrayList<>();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("engine", "flink");
    out.put("version", version);
    out.put("runtime", runtime);
    out.put("provenance", provenance);
    out.put("machine", Map.of("cpus", Runtime.getRuntime().availableProcessors(), "model", Main.cpuModel()));
    out.put("parameters", parameters);
    out.put("incremental", runs);
    out.put("notes", StateNotes.all(managedMiB));
    File file = new File(a.get("state-out"));
    if (file.getParentFile() != null) file.getParentFile().mkdirs();
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    for (long keys : keyCounts) {
      say(String.format("state-incremental: %,d keys, %d rounds of %s %% updates, RocksDB incremental, managed memory %d MiB",
          keys, rounds, fraction * 100, managedMiB));
      runs.add(IncrementalStateBench.run(s3, a.get("run-prefix"), keys, fraction, rounds, managedMiB, l -> say("  " + l)));
      json.writeValue(file, out);
    }
    Provenance.finish(provenance, Main.loadAverage());
    json.writeValue(file, out);
    print(runs);
    System.out.println("\nwrote " + file.getPath());
  }

  private static void say(String line) {
    System.out.println("[" + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "] " + line);
  }

  private static void print(List<IncrementalStateBench.IncrementalRun> runs) {
    for (IncrementalStateBench.IncrementalRun r : runs) {
      System.out.printf("%nincremental checkpoints, %,d keys (load %,d ms; %,d updates per round)%n", r.keys(), r.loadMs(), r.updatesPerRound());
      System.out.printf("  %5s %10s %12s %16s %16s %13s%n", "ckpt", "update ms", "duration ms", "uploaded bytes", "full bytes", "shared files");
      for (int i = 0; i < r.checkpoints().size(); i++) {
        IncrementalStateBench.MeasuredCheckpoint c = r.checkpoints().get(i);
        String update = i == 0 ? "(load)" : String.format("%,d", r.updateMs().get(i - 1));
        System.out.printf("  %5d %10s %,12d %,16d %,16d %13d%n", c.id(), update, c.durationMs(), c.uploadedBytes(), c.bytes(), c.sharedFiles());
      }
    }
  }
}
