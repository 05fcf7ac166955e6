package dev.sluice.bench.flink;

import java.time.Instant;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * Sluice's built-in {@code wordcount} on Flink: synthetic corpus lines → tokenize (flatMap) →
 * keyBy word → count in {@code ValueState<Long>}, emitting (word, count) after every occurrence →
 * discarding sink. The latency variant carries each line's emission time (wall clock, µs since
 * the epoch) with its words, and the count operator records now − emission in
 * {@link Probes#LATENCY} from {@code warmupMs} after its first record for {@code measureMs}
 * (as Sluice's bench/runtime/latency-job.ts).
 */
public final class WordcountJob {
  private static final TypeInformation<Tuple2<String, Long>> WORD_AND_LONG = Types.TUPLE(Types.STRING, Types.LONG);

  private WordcountJob() {}

  /** The throughput job over {@code lines} lines in {@code partitions} generator splits. */
  public static void build(StreamExecutionEnvironment env, SyntheticCorpus corpus, long lines, int partitions) {
    env.fromSource(
            new GeneratorSource<>(lines, partitions, 0, false, corpus::line, Types.STRING),
            WatermarkStrategy.noWatermarks(),
            "corpus")
        .uid("corpus")
        .flatMap((String line, Collector<String> out) -> SyntheticCorpus.words(line, out::collect))
        .returns(Types.STRING)
        .name("tokenize")
        .keyBy(w -> w, Types.STRING)
        .process(new Count())
        .uid("count")
        .name("count")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
  }

  /**
   * The latency job: {@code lines} lines at {@code rate} lines/s (all subtasks together), each
   * stamped when the source generates it; every count subtask measures from {@code warmupMs}
   * after its first record for {@code measureMs}.
   */
  public static void buildStamped(
      StreamExecutionEnvironment env, SyntheticCorpus corpus, long lines, int partitions, double rate,
      long warmupMs, long measureMs) {
    RecordGenerator<Tuple2<String, Long>> stamped = n -> Tuple2.of(corpus.line(n), nowMicros());
    env.fromSource(new GeneratorSource<>(lines, partitions, rate, false, stamped, WORD_AND_LONG),
            WatermarkStrategy.noWatermarks(),
            "corpus")
        .uid("corpus")
        .flatMap((Tuple2<String, Long> line, Collector<Tuple2<String, Long>> out) ->
            SyntheticCorpus.words(line.f0, w -> out.collect(Tuple2.of(w, line.f1))))
        .returns(WORD_AND_LONG)
        .name("tokenize")
        .keyBy(w -> w.f0, Types.STRING)
        .process(new StampedCount(warmupMs * 1000, measureMs * 1000))
        .uid("count")
        .name("count")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
  }

  /** Wall clock in µs since the epoch. */
  static long nowMicros() {
    Instant t = Instant.now();
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  /** Per-word count in value state; emits (word, new count). */
  static final class Count extends KeyedProcessFunction<String, String, Tuple2<String, Long>> {
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext ctx) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public void processElement(String word, Context ctx, Collector<Tuple2<String, Long>> out) throws Exception {
      Long c = count.value();
      long n = (c == null ? 0 : c) + 1;
      count.update(n);
      out.collect(Tuple2.of(word, n));
    }
  }

  /** {@link Count} over (word, emission µs), recording now − emission within its measuring interval. */
  static final class StampedCount extends KeyedProcessFunction<String, Tuple2<String, Long>, Tuple2<String, Long>> {
    private final long warmupMicros;
    private final long measureMicros;
    private transient ValueState<Long> count;
    private transient long fromMicros;
    private transient long toMicros;

    StampedCount(long warmupMicros, long measureMicros) {
      this.warmupMicros = warmupMicros;
      this.measureMicros = measureMicros;
    }

    @Override
    public void open(OpenContext ctx) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public void processElement(Tuple2<String, Long> word, Context ctx, Collector<Tuple2<String, Long>> out)
        throws Exception {
      Long c = count.value();
      long n = (c == null ? 0 : c) + 1;
      count.update(n);
      long now = nowMicros();
      if (fromMicros == 0) {
        fromMicros = now + warmupMicros;
        toMicros = fromMicros + measureMicros;
      }
      if (now >= fromMicros && now < toMicros) Probes.LATENCY.record(now - word.f1);
      out.collect(Tuple2.of(word.f0, n));
    }
  }
}
