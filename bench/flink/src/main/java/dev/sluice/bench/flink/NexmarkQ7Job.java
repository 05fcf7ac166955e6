package dev.sluice.bench.flink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Sluice's built-in {@code nexmark-q7} (Nexmark Q7 "highest bid", runtime-image/src/nexmark/q7.ts)
 * on Flink, in the same three keyed steps, on the bid columns the query reads (projected before the
 * first keyBy, as in Sluice's job): per auction and tumbling window the top bids and the
 * bids at the window's first millisecond; per window (one key) their merge; in window order (one
 * key) the top bids plus the previous window's boundary bids priced at its maximum (the SQL's
 * inclusive {@code BETWEEN}) → discarding sink.
 */
public final class NexmarkQ7Job {
  private NexmarkQ7Job() {}

  /** Output row: the bid's columns and the window joined with. */
  public static final class Row {
    public long auction;
    public long price;
    public long bidder;
    public long dateTime;
    public long windowStart;
    public long windowEnd;

    public Row() {}
  }

  /** The columns of a bid the query reads (Sluice's {@code q0Row}). */
  public static final class BidColumns {
    public long auction;
    public long bidder;
    public long price;
    public long dateTime;

    public BidColumns() {}

    static BidColumns of(NexmarkEvent.Bid b) {
      BidColumns c = new BidColumns();
      c.auction = b.auction;
      c.bidder = b.bidder;
      c.price = b.price;
      c.dateTime = b.dateTime;
      return c;
    }
  }

  /** Top bids of (a part of) one window. */
  public static final class TopBids {
    public long max = -1;
    public long windowStart;
    public long windowEnd;
    public List<BidColumns> top = new ArrayList<>();
    public List<BidColumns> first = new ArrayList<>();

    public TopBids() {}
  }

  public static void build(
      StreamExecutionEnvironment env, NexmarkGenerator generator, long events, int partitions, long windowMs) {
    NexmarkQueries.discard(rows(env, generator, events, partitions, windowMs));
  }

  /** The query's rows (the pipeline before the sink). */
  public static DataStream<Row> rows(
      StreamExecutionEnvironment env, NexmarkGenerator generator, long events, int partitions, long windowMs) {
    TypeInformation<TopBids> topType = TypeInformation.of(TopBids.class);
    return NexmarkQueries.bids(env, generator, events, partitions)
        .map(BidColumns::of)
        .returns(TypeInformation.of(BidColumns.class))
        .name("q7-project")
        .keyBy(b -> b.auction, Types.LONG)
        .window(TumblingEventTimeWindows.of(Duration.ofMillis(windowMs)))
        .aggregate(new PartialTop(windowMs), new WithWindow(), topType, topType, topType)
        .uid("top-per-auction")
        .keyBy(t -> 0, Types.INT)
        .window(TumblingEventTimeWindows.of(Duration.ofMillis(windowMs)))
        .aggregate(new MergeTop(), topType, topType)
        .uid("top-per-window")
        .keyBy(t -> 0, Types.INT)
        .process(new JoinPrevious())
        .returns(TypeInformation.of(Row.class))
        .uid("join-previous-window");
  }

  static void addTop(TopBids acc, long price, List<BidColumns> bids) {
    if (price > acc.max) {
      acc.max = price;
      acc.top = new ArrayList<>(bids);
    } else if (price == acc.max) {
      acc.top.addAll(bids);
    }
  }

  static final class PartialTop implements AggregateFunction<BidColumns, TopBids, TopBids> {
    private final long windowMs;

    PartialTop(long windowMs) {
      this.windowMs = windowMs;
    }

    @Override
    public TopBids createAccumulator() {
      return new TopBids();
    }

    @Override
    public TopBids add(BidColumns b, TopBids acc) {
      if (b.dateTime % windowMs == 0) acc.first.add(b);
      addTop(acc, b.price, List.of(b));
      return acc;
    }

    @Override
    public TopBids getResult(TopBids acc) {
      return acc;
    }

    @Override
    public TopBids merge(TopBids a, TopBids b) {
      a.first.addAll(b.first);
      addTop(a, b.max, b.top);
      return a;
    }
  }

  static final class WithWindow extends ProcessWindowFunction<TopBids, TopBids, Long, TimeWindow> {
    @Override
    public void process(Long auction, Context ctx, Iterable<TopBids> parts, Collector<TopBids> out) {
      TopBids t = parts.iterator().next();
      t.windowStart = ctx.window().getStart();
      t.windowEnd = ctx.window().getEnd();
      out.collect(t);
    }
  }

  static final class MergeTop implements AggregateFunction<TopBids, TopBids, TopBids> {
    @Override
    public TopBids createAccumulator() {
      return new TopBids();
    }

    @Override
    public TopBids add(TopBids p, TopBids acc) {
      acc.windowStart = p.windowStart;
      acc.windowEnd = p.windowEnd;
      acc.first.addAll(p.first);
      addTop(acc, p.max, p.top);
      return acc;
    }

    @Override
    public TopBids getResult(TopBids acc) {
      return acc;
    }

    @Override
    public TopBids merge(TopBids a, TopBids b) {
      return add(b, a);
    }
  }

  static final class JoinPrevious extends KeyedProcessFunction<Integer, TopBids, Row> {
    private transient ValueState<long[]> previous; // [windowEnd, max]

    @Override
    public void open(OpenContext ctx) {
      previous = getRuntimeContext().getState(new ValueStateDescriptor<>("previous", long[].class));
    }

    @Override
    public void processElement(TopBids w, Context ctx, Collector<Row> out) throws Exception {
      for (BidColumns b : w.top) out.collect(row(b, w.windowStart, w.windowEnd));
      long[] prev = previous.value();
      if (prev != null && prev[0] == w.windowStart) {
        long size = w.windowEnd - w.windowStart;
        for (BidColumns b : w.first) {
          if (b.price == prev[1]) out.collect(row(b, w.windowStart - size, w.windowStart));
        }
      }
      if (w.max >= 0) previous.update(new long[] {w.windowEnd, w.max});
    }

    private static Row row(BidColumns b, long windowStart, long windowEnd) {
      Row r = new Row();
      r.auction = b.auction;
      r.price = b.price;
      r.bidder = b.bidder;
      r.dateTime = b.dateTime;
      r.windowStart = windowStart;
      r.windowEnd = windowEnd;
      return r;
    }
  }
}
