package dev.sluice.bench.flink;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * Nexmark Q0, Q1 and Q2 on Flink, as Sluice's built-in {@code nexmark-q0/q1/q2}
 * (runtime-image/src/nexmark/queries.ts): Q0 projects every bid to (auction, bidder, price,
 * dateTime); Q1 the same with price × 0.908 (computed as price · 908 / 1000, as Sluice); Q2
 * keeps (auction, price) of the bids whose auction id % 123 = 0. No keyBy; discarding sink.
 */
public final class NexmarkQueries {
  private NexmarkQueries() {}

  /** Q0/Q1 row. */
  public static final class BidRow {
    public long auction;
    public long bidder;
    public double price;
    public long dateTime;

    public BidRow() {}

    static BidRow of(NexmarkEvent.Bid b, double price) {
      BidRow r = new BidRow();
      r.auction = b.auction;
      r.bidder = b.bidder;
      r.price = price;
      r.dateTime = b.dateTime;
      return r;
    }
  }

  /** Q2 row. */
  public static final class AuctionPrice {
    public long auction;
    public long price;

    public AuctionPrice() {}
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

  /** The bids of {@code events} generated events over {@code partitions} splits, with event-time watermarks. */
  static DataStream<NexmarkEvent.Bid> bids(
      StreamExecutionEnvironment env, NexmarkGenerator generator, long events, int partitions) {
    return env.fromSource(
            new GeneratorSource<>(events, partitions, 0, false, new Events(generator), TypeInformation.of(NexmarkEvent.class)),
            WatermarkStrategy.<NexmarkEvent>forMonotonousTimestamps(),
            "nexmark")
        .uid("nexmark")
        .flatMap((NexmarkEvent e, Collector<NexmarkEvent.Bid> out) -> {
          if (e.bid != null) out.collect(e.bid);
        })
        .returns(TypeInformation.of(NexmarkEvent.Bid.class))
        .name("bids");
  }

  public static DataStream<BidRow> q0Rows(StreamExecutionEnvironment env, NexmarkGenerator g, long events, int partitions) {
    return bids(env, g, events, partitions)
        .map(b -> BidRow.of(b, b.price))
        .returns(TypeInformation.of(BidRow.class))
        .name("q0-project");
  }

  public static DataStream<BidRow> q1Rows(StreamExecutionEnvironment env, NexmarkGenerator g, long events, int partitions) {
    return bids(env, g, events, partitions)
        .map(b -> BidRow.of(b, (b.price * 908) / 1000.0))
        .returns(TypeInformation.of(BidRow.class))
        .name("q1-to-euro");
  }

  public static DataStream<AuctionPrice> q2Rows(StreamExecutionEnvironment env, NexmarkGenerator g, long events, int partitions) {
    return bids(env, g, events, partitions)
        .flatMap((NexmarkEvent.Bid b, Collector<AuctionPrice> out) -> {
          if (b.auction % 123 == 0) {
            AuctionPrice r = new AuctionPrice();
            r.auction = b.auction;
            r.price = b.price;
            out.collect(r);
          }
        })
        .returns(TypeInformation.of(AuctionPrice.class))
        .name("q2-filter");
  }

  /** Ends a benchmark pipeline in Flink's DiscardingSink. */
  static <T> void discard(DataStream<T> rows) {
    rows.sinkTo(new DiscardingSink<>()).name("discard");
  }

  public static void q0(StreamExecutionEnvironment env, NexmarkGenerator g, long events, int partitions) {
    discard(q0Rows(env, g, events, partitions));
  }

  public static void q1(StreamExecutionEnvironment env, NexmarkGenerator g, long events, int partitions) {
    discard(q1Rows(env, g, events, partitions));
  }

  public static void q2(StreamExecutionEnvironment env, NexmarkGenerator g, long events, int partitions) {
    discard(q2Rows(env, g, events, partitions));
  }
}
