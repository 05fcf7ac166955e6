package dev.sluice.bench.flink;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * Sluice's benchmark job {@code bench/runtime/count-job.ts} on Flink: {@code records} records
 * {@code k<n mod keys>} → keyBy → per-key count in {@code ValueState<Long>}, no output. Its
 * keyed state is exactly {@code keys} entries once every key was seen. The source stays running
 * (idle) after its last record so checkpoints can be taken; processed records, and those whose
 * key already had a count, are counted in {@link Probes}.
 */
public final class CountJob {
  private CountJob() {}

  public static void build(StreamExecutionEnvironment env, long records, long keys, int partitions) {
    env.fromSource(
            new GeneratorSource<>(records, partitions, 0, true, n -> "k" + (n % keys), Types.STRING),
            WatermarkStrategy.noWatermarks(),
            "keys")
        .uid("keys")
        .keyBy(k -> k, Types.STRING)
        .process(new Count())
        .uid("count")
        .name("count")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
  }

  /** Per-key count; emits nothing. */
  static final class Count extends KeyedProcessFunction<String, String, Void> {
    private transient ValueState<Long> count;
    private transient int subtask;
    private transient long processed;
    private transient long found;

    @Override
    public void open(OpenContext ctx) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
      subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    }

    @Override
    public void processElement(String key, Context ctx, Collector<Void> out) throws Exception {
      Long c = count.value();
      count.update((c == null ? 0 : c) + 1);
      if (c != null) Probes.found(subtask, ++found);
      Probes.processed(subtask, ++processed);
    }
  }
}
