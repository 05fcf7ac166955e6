package dev.sluice.bench.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Checks that the Java generators produce the same streams as Sluice's TypeScript ones. Reads
 * the output of {@code bench/flink/generator-checksum.ts} (first N Nexmark events as
 * {@code JSON.stringify} lines, first N wordcount lines and their tokens, sha256 whole and per
 * block, tokenizer samples; the state benchmark's key strides, sample key indexes and the digest
 * of its first keys, {@link KeyedValueKeys}) and recomputes every figure here.
 *
 * <pre>java ... GeneratorCheck checksums.json</pre>
 *
 * Exit 0 when all match, 1 with the first mismatching block otherwise.
 */
public final class GeneratorCheck {
  private GeneratorCheck() {}

  public static void main(String[] args) throws Exception {
    JsonNode ts = new ObjectMapper().readTree(new File(args[0]));
    int block = ts.get("block").asInt();
    List<String> problems = new ArrayList<>();

    JsonNode nx = ts.get("nexmark");
    NexmarkGenerator g = fromConfig(nx.get("config"));
    long events = nx.get("events").asLong();
    compare("nexmark events", events, block, n -> g.event(n).toJson(), nx, problems);
    int[] firstEvents = {0, 1, 4};
    for (int i = 0; i < firstEvents.length; i++) {
      String java = g.event(firstEvents[i]).toJson();
      String js = nx.get("first").get(i).asText();
      if (!java.equals(js)) problems.add("nexmark event " + firstEvents[i] + ":\n  ts:   " + js + "\n  java: " + java);
    }

    JsonNode wc = ts.get("wordcount");
    SyntheticCorpus corpus =
        new SyntheticCorpus(wc.get("seed").asInt(), wc.get("vocabulary").asInt(), wc.get("wordsPerLine").asInt());
    long lines = wc.get("lines").asLong();
    compare("wordcount lines", lines, block, corpus::line, wc, problems);
    String tokens = digest(lines, block, n -> String.join(" ", tokens(corpus.line(n)))).sha256;
    if (!tokens.equals(wc.get("tokens").asText())) problems.add("wordcount tokens: sha256 differs");
    for (JsonNode sample : ts.get("tokenizer")) {
      List<String> want = new ArrayList<>();
      sample.get("words").forEach(w -> want.add(w.asText()));
      List<String> got = tokens(sample.get("line").asText());
      if (!got.equals(want)) problems.add("tokenizer " + sample.get("line") + ": ts " + want + ", java " + got);
    }

    JsonNode kv = ts.get("keyedValue");
    checkKeyedValue(kv, block, problems);

    if (problems.isEmpty()) {
      System.out.printf(
          "generators match the TypeScript ones: %,d Nexmark events (sha256 %s…), %,d wordcount lines and their tokens, %d tokenizer samples,"
              + " %d state-benchmark strides, %d key samples and the keys of %,d records%n",
          events, nx.get("sha256").asText().substring(0, 12), lines, ts.get("tokenizer").size(),
          kv.get("strides").size(), kv.get("samples").size(), kv.get("records").asLong());
      return;
    }
    System.out.println("GENERATOR MISMATCH between Java and TypeScript:");
    problems.forEach(p -> System.out.println("  " + p));
    System.exit(1);
  }

  /** The state benchmark's keys (bench/state/keyed-value-job.ts): strides, sample indexes, digest. */
  private static void checkKeyedValue(JsonNode kv, int block, List<String> problems) throws Exception {
    for (JsonNode s : kv.get("strides")) {
      long keys = s.get("keys").asLong();
      long java = KeyedValueKeys.strideFor(keys);
      if (java != s.get("stride").asLong()) problems.add("strideFor(" + keys + "): ts " + s.get("stride") + ", java " + java);
    }
    for (JsonNode s : kv.get("samples")) {
      long keys = s.get("keys").asLong();
      long n = s.get("n").asLong();
      long java = KeyedValueKeys.keyIndex(n, keys, KeyedValueKeys.strideFor(keys));
      if (java != s.get("index").asLong()) problems.add("keyIndex(" + n + ", " + keys + "): ts " + s.get("index") + ", java " + java);
    }
    long keys = kv.get("keys").asLong();
    long stride = KeyedValueKeys.strideFor(keys);
    compare("state-benchmark keys", kv.get("records").asLong(), block, n -> KeyedValueKeys.key(n, keys, stride), kv, problems);
  }

  static NexmarkGenerator fromConfig(JsonNode c) {
    NexmarkGenerator g = new NexmarkGenerator();
    g.seed = c.get("seed").asInt();
    g.eventsPerSecond = c.get("eventsPerSecond").asDouble();
    g.baseTime = c.get("baseTime").asLong();
    g.inFlightAuctions = c.get("inFlightAuctions").asLong();
    g.activePeople = c.get("activePeople").asLong();
    g.hotAuctionRatio = c.get("hotAuctionRatio").asLong();
    g.hotBidderRatio = c.get("hotBidderRatio").asLong();
    g.hotSellerRatio = c.get("hotSellerRatio").asLong();
    g.auctionDurationMs = c.get("auctionDurationMs").asLong();
    return g;
  }

  private static List<String> tokens(String line) {
    List<String> out = new ArrayList<>();
    SyntheticCorpus.words(line, out::add);
    return out;
  }

  private static void compare(
      String what, long n, int block, LongFunction<String> item, JsonNode ts, List<String> problems) throws Exception {
    Digest d = digest(n, block, item);
    if (d.sha256.equals(ts.get("sha256").asText())) return;
    JsonNode blocks = ts.get("blocks");
    for (int b = 0; b < d.blocks.size(); b++) {
      if (!d.blocks.get(b).equals(blocks.get(b).asText())) {
        problems.add(what + ": first difference in items [" + (long) b * block + ", " + Math.min(n, (long) (b + 1) * block) + ")");
        return;
      }
    }
    problems.add(what + ": sha256 differs");
  }

  private record Digest(String sha256, List<String> blocks) {}

  private static Digest digest(long n, int block, LongFunction<String> item) throws Exception {
    MessageDigest all = MessageDigest.getInstance("SHA-256");
    MessageDigest part = MessageDigest.getInstance("SHA-256");
    List<String> blocks = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      byte[] s = (item.apply(i) + "\n").getBytes(StandardCharsets.UTF_8);
      all.update(s);
      part.update(s);
      if ((i + 1) % block == 0 || i == n - 1) blocks.add(HexFormat.of().formatHex(part.digest()));
    }
    return new Digest(HexFormat.of().formatHex(all.digest()), blocks);
  }
}
