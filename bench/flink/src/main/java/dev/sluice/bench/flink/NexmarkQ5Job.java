package dev.sluice.bench.flink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Sluice's built-in {@code nexmark-q5} (Nexmark Q5 "hot items", runtime-image/src/nexmark/q5.ts)
 * on Flink: bids → their auction (the one column the query reads, projected before the keyBy as in
 * Sluice's job) → keyBy auction → sliding event-time windows of {@code windowMs} every
 * {@code slideMs} counting bids → keyBy window end → tumbling windows of {@code slideMs} keeping
 * every auction whose count is the window's maximum (all of them on a tie) → discarding sink.
 * Watermarks are the monotonous-timestamp watermarks (max timestamp − 1), as Sluice's source.
 */
public final class NexmarkQ5Job {
  private NexmarkQ5Job() {}

  /** Bids of one auction in one window; also the output row. */
  public static final class AuctionCount {
    public long auction;
    public long num;
    public long windowStart;
    public long windowEnd;

    public AuctionCount() {}
  }

  /** The maximum count of a window and the auctions that have it. */
  public static final class Hottest {
    public long num = -1;
    public long windowStart;
    public long windowEnd;
    public List<Long> auctions = new ArrayList<>();

    public Hottest() {}
  }

  public static void build(
      StreamExecutionEnvironment env, NexmarkGenerator generator, long events, int partitions, long windowMs, long slideMs) {
    NexmarkQueries.discard(rows(env, generator, events, partitions, windowMs, slideMs));
  }

  /** The query's rows (the pipeline before the sink). */
  public static DataStream<AuctionCount> rows(
      StreamExecutionEnvironment env, NexmarkGenerator generator, long events, int partitions, long windowMs, long slideMs) {
    TypeInformation<AuctionCount> countType = TypeInformation.of(AuctionCount.class);
    return NexmarkQueries.bids(env, generator, events, partitions)
        .map(b -> b.auction)
        .returns(Types.LONG)
        .name("q5-project")
        .keyBy(a -> a, Types.LONG)
        .window(SlidingEventTimeWindows.of(Duration.ofMillis(windowMs), Duration.ofMillis(slideMs)))
        .aggregate(new CountBids(), new WithWindow(), Types.LONG, Types.LONG, countType)
        .uid("bids-per-auction")
        .keyBy(c -> c.windowEnd, Types.LONG)
        // Counts of window [s, e) carry timestamp e − 1: a tumbling window of slideMs gathers exactly those of one end.
        .window(TumblingEventTimeWindows.of(Duration.ofMillis(slideMs)))
        .aggregate(new HottestAuctions(), TypeInformation.of(Hottest.class), TypeInformation.of(Hottest.class))
        .uid("hottest-per-window")
        .flatMap((Hottest h, Collector<AuctionCount> out) -> {
          for (long a : h.auctions) {
            AuctionCount c = new AuctionCount();
            c.auction = a;
            c.num = h.num;
            c.windowStart = h.windowStart;
            c.windowEnd = h.windowEnd;
            out.collect(c);
          }
        })
        .returns(countType)
        .name("rows");
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
      c.num = counts.iterator().next();
      c.windowStart = ctx.window().getStart();
      c.windowEnd = ctx.window().getEnd();
      out.collect(c);
    }
  }

  /** Keeps the counts equal to the window's maximum (Sluice's {@code hottestAuctions}). */
  static final class HottestAuctions implements AggregateFunction<AuctionCount, Hottest, Hottest> {
    @Override
    public Hottest createAccumulator() {
      return new Hottest();
    }

    @Override
    public Hottest add(AuctionCount c, Hottest acc) {
      if (c.num > acc.num) {
        acc.num = c.num;
        acc.windowStart = c.windowStart;
        acc.windowEnd = c.windowEnd;
        acc.auctions = new ArrayList<>();
        acc.auctions.add(c.auction);
      } else if (c.num == acc.num) {
        acc.auctions.add(c.auction);
      }
      return acc;
    }

    @Override
    public Hottest getResult(Hottest acc) {
      return acc;
    }

    @Override
    public Hottest merge(Hottest a, Hottest b) {
      if (a.num != b.num) return a.num > b.num ? a : b;
      a.auctions.addAll(b.auctions);
      return a;
    }
  }
}
