package dev.sluice.bench.flink;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * Sluice's state-benchmark job {@code bench/state/keyed-value-job.ts} on Flink: the gated keys
 * ({@link GatedSource}) → keyBy → per key the value {@code (n, updates)} — the subtask's record
 * count when the key was last written and how often it was seen — in a
 * {@code ValueState<Tuple2<Long, Long>>} (16 bytes serialized), no output (discarding sink).
 * Processed records, and those whose key already had a value, are counted in {@link Probes}.
 */
public final class KeyedValueJob {
  private KeyedValueJob() {}

  public static void build(StreamExecutionEnvironment env, long keys) {
    env.fromSource(new GatedSource(keys), WatermarkStrategy.noWatermarks(), "gated-keys")
        .uid("gated-keys")
        .keyBy(k -> k, Types.STRING)
        .process(new Update())
        .uid("value")
        .name("value")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
  }

  /** Writes {@code (n, updates + 1)} for the record's key; emits nothing. */
  static final class Update extends KeyedProcessFunction<String, String, Void> {
    private transient ValueState<Tuple2<Long, Long>> value;
    private transient int subtask;
    private transient long n;
    private transient long found;

    @Override
    public void open(OpenContext ctx) {
      value = getRuntimeContext().getState(new ValueStateDescriptor<>("value", Types.TUPLE(Types.LONG, Types.LONG)));
      subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    }

    @Override
    public void processElement(String key, Context ctx, Collector<Void> out) throws Exception {
      Tuple2<Long, Long> v = value.value();
      value.update(Tuple2.of(n++, v == null ? 1L : v.f1 + 1));
      if (v != null) Probes.found(subtask, ++found);
      Probes.processed(subtask, n);
    }
  }
}
