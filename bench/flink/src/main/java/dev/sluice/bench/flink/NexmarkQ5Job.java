package dev.sluice.bench.flink;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Sluice's built-in {@code nexmark-q5} ("hot items") on Flink: bids → keyBy auction → sliding
 * event-time windows of {@code windowMs} every {@code slideMs} counting bids → keyBy window end →
 * tumbling windows of {@code slideMs} keeping the auction with most bids (ties: lower id) →
 * discarding sink. Event time is the generator's; watermarks are the monotonous-timestamp
 * watermarks (max timestamp − 1), as Sluice's generator source.
 */
public final class NexmarkQ5Job {
  private NexmarkQ5Job() {}

  /** Count of bids of one auction in one window. */
  public static final class AuctionCount {
    public long auction;
    public long count;
    public long windowStart;
    public long windowEnd;

    public AuctionCount() {}
  }

  /** Nexmark generator as a record generator (event time = the event's dateTime). */
  static final class Events implements RecordGenerator<NexmarkEvent> {
    private static final long serialVersionUID = 1L;
    private final NexmarkGenerator g;

    Events(NexmarkGenerator g) {
      this.g = g;
    }

    @Override
    public NexmarkEvent generate(long n) {
      return g.event(n);
    }

    @Override
    public long timestamp(long n) {
      return g.eventTime(n);
    }
  }

  public static void build(
      StreamExecutionEnvironment env, NexmarkGenerator generator, long events, int partitions, long windowMs, long slideMs) {
    TypeInformation<AuctionCount> countType = TypeInformation.of(AuctionCount.class);
    env.fromSource(
            new GeneratorSource<>(events, partitions, 0, false, new Events(generator), TypeInformation.of(NexmarkEvent.class)),
            WatermarkStrategy.<NexmarkEvent>forMonotonousTimestamps(),
            "nexmark")
        .uid("nexmark")
        .flatMap((NexmarkEvent e, Collector<Long> out) -> {
          if (e.bid != null) out.collect(e.bid.auction);
        })
        .returns(Types.LONG)
        .name("bid-auctions")
        .keyBy(a -> a, Types.LONG)
        .window(SlidingEventTimeWindows.of(Duration.ofMillis(windowMs), Duration.ofMillis(slideMs)))
        .aggregate(new CountBids(), new WithWindow(), Types.LONG, Types.LONG, countType)
        .uid("bids-per-auction")
        .keyBy(c -> c.windowEnd, Types.LONG)
        // Results of window [s, e) carry timestamp e − 1: a tumbling window of slideMs gathers exactly those of one end.
        .window(TumblingEventTimeWindows.of(Duration.ofMillis(slideMs)))
        .aggregate(new Hottest(), countType, countType)
        .uid("hottest-per-window")
        .filter(c -> c.count > 0)
        .name("non-empty")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
  }

  static final class CountBids implements AggregateFunction<Long, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(Long auction, Long n) {
      return n + 1;
    }

    @Override
    public Long getResult(Long n) {
      return n;
    }

    @Override
    public Long merge(Long a, Long b) {
      return a + b;
    }
  }

  static final class WithWindow extends ProcessWindowFunction<Long, AuctionCount, Long, TimeWindow> {
    @Override
    public void process(Long auction, Context ctx, Iterable<Long> counts, Collector<AuctionCount> out) {
      AuctionCount c = new AuctionCount();
      c.auction = auction;
      c.count = counts.iterator().next();
      c.windowStart = ctx.window().getStart();
      c.windowEnd = ctx.window().getEnd();
      out.collect(c);
    }
  }

  /** Hotter of two counts: more bids, then lower auction id (Sluice's {@code hotter}). Empty: count 0. */
  static final class Hottest implements AggregateFunction<AuctionCount, AuctionCount, AuctionCount> {
    @Override
    public AuctionCount createAccumulator() {
      return new AuctionCount();
    }

    @Override
    public AuctionCount add(AuctionCount c, AuctionCount acc) {
      if (acc.count == 0) return c;
      if (acc.count != c.count) return c.count > acc.count ? c : acc;
      return acc.auction <= c.auction ? acc : c;
    }

    @Override
    public AuctionCount getResult(AuctionCount acc) {
      return acc;
    }

    @Override
    public AuctionCount merge(AuctionCount a, AuctionCount b) {
      return add(b, a);
    }
  }
}
