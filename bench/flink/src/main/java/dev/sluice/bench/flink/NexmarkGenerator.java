package dev.sluice.bench.flink;

import java.io.Serializable;

/**
 * Deterministic Nexmark event generator, the same stream as Sluice's
 * {@code runtime-image/src/nexmark/generator.ts}: event n depends only on the configuration and
 * n. Of every 50 events 1 is a person, 3 are auctions, 46 are bids; ids start at 1000; hot
 * auctions, bidders and sellers; prices 100·10^(6u) cents; event time
 * {@code baseTime + ⌊n·1000 / eventsPerSecond⌋} ms. Defaults are the TypeScript defaults.
 */
public final class NexmarkGenerator implements Serializable {
  private static final long serialVersionUID = 1L;

  static final int PERSON_PROPORTION = 1;
  static final int AUCTION_PROPORTION = 3;
  static final int TOTAL_PROPORTION = 50;
  static final long FIRST_PERSON_ID = 1000;
  static final long FIRST_AUCTION_ID = 1000;
  static final long FIRST_CATEGORY_ID = 10;
  static final int NUM_CATEGORIES = 5;

  private static final String[] FIRST_NAMES = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"
  };
  private static final String[] LAST_NAMES = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"
  };
  private static final String[] STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  private static final String[] CITIES = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent"
  };
  private static final String[] CHANNELS = {"Google", "Facebook", "Baidu", "Apple"};

  public int seed = 42;
  /** Events per second of event time (not wall clock). */
  public double eventsPerSecond = 10_000;
  /** Event time of event 0, ms since the epoch (2024-01-01T00:00:00Z). */
  public long baseTime = 1_704_067_200_000L;
  public long inFlightAuctions = 100;
  public long activePeople = 1000;
  public long hotAuctionRatio = 2;
  public long hotBidderRatio = 4;
  public long hotSellerRatio = 4;
  /** Auction lifetime in event time, ms. */
  public long auctionDurationMs = 10_000;

  /** Event time of event n, ms. */
  public long eventTime(long n) {
    return baseTime + (long) Math.floor((n * 1000.0) / eventsPerSecond);
  }

  static long lastBase0PersonId(long n) {
    long epoch = n / TOTAL_PROPORTION;
    long offset = Math.min(n % TOTAL_PROPORTION, PERSON_PROPORTION - 1);
    return epoch * PERSON_PROPORTION + offset;
  }

  static long lastBase0AuctionId(long n) {
    long epoch = n / TOTAL_PROPORTION;
    long offset = n % TOTAL_PROPORTION;
    if (offset < PERSON_PROPORTION) {
      epoch -= 1;
      offset = AUCTION_PROPORTION - 1;
    } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
      offset = AUCTION_PROPORTION - 1;
    } else {
      offset -= PERSON_PROPORTION;
    }
    return epoch * AUCTION_PROPORTION + offset;
  }

  /** True when event n is a bid (without generating it). */
  public static boolean isBid(long n) {
    return n % TOTAL_PROPORTION >= PERSON_PROPORTION + AUCTION_PROPORTION;
  }

  /** Event n of the stream. */
  public NexmarkEvent event(long n) {
    Prng r = Prng.forEvent(seed, n);
    long offset = n % TOTAL_PROPORTION;
    NexmarkEvent e = new NexmarkEvent();
    if (offset < PERSON_PROPORTION) e.person = person(r, n);
    else if (offset < PERSON_PROPORTION + AUCTION_PROPORTION) e.auction = auction(r, n);
    else e.bid = bid(r, n);
    return e;
  }

  private static String pick(Prng r, String[] xs) {
    return xs[(int) r.nextInt(xs.length)];
  }

  /** JavaScript's {@code Math.round(Math.pow(10, u * 6) * 100)} (both round ties up; StrictMath.pow is fdlibm, as V8's). */
  private static long nextPrice(Prng r) {
    return Math.round(StrictMath.pow(10, r.next() * 6) * 100);
  }

  private long recentPerson(Prng r, long n, long hotRatio) {
    long last = Math.max(0, lastBase0PersonId(n));
    if (r.nextInt(hotRatio) > 0) return FIRST_PERSON_ID + (last / hotRatio) * hotRatio;
    long active = Math.min(last + 1, activePeople);
    return FIRST_PERSON_ID + last - r.nextInt(active);
  }

  private NexmarkEvent.Person person(Prng r, long n) {
    NexmarkEvent.Person p = new NexmarkEvent.Person();
    p.id = FIRST_PERSON_ID + lastBase0PersonId(n);
    p.name = pick(r, FIRST_NAMES) + " " + pick(r, LAST_NAMES);
    p.emailAddress = "p" + p.id + "@example.com";
    long hi = r.nextInt(9000_0000);
    p.creditCard = Long.toString(1000_0000_0000_0000L + hi * 1000_0000L + r.nextInt(1000_0000));
    p.city = pick(r, CITIES);
    p.state = pick(r, STATES);
    p.dateTime = eventTime(n);
    return p;
  }

  private NexmarkEvent.Auction auction(Prng r, long n) {
    NexmarkEvent.Auction a = new NexmarkEvent.Auction();
    a.id = FIRST_AUCTION_ID + lastBase0AuctionId(n);
    a.initialBid = nextPrice(r);
    long t = eventTime(n);
    a.itemName = "item-" + a.id;
    a.description = "description of item " + a.id;
    a.reserve = a.initialBid + nextPrice(r);
    a.dateTime = t;
    a.expires = t + auctionDurationMs;
    a.seller = recentPerson(r, n, hotSellerRatio);
    a.category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
    return a;
  }

  private NexmarkEvent.Bid bid(Prng r, long n) {
    long last = Math.max(0, lastBase0AuctionId(n));
    long auctionId;
    if (r.nextInt(hotAuctionRatio) > 0) {
      auctionId = FIRST_AUCTION_ID + (last / hotAuctionRatio) * hotAuctionRatio;
    } else {
      auctionId = FIRST_AUCTION_ID + last - r.nextInt(Math.min(last + 1, inFlightAuctions));
    }
    NexmarkEvent.Bid b = new NexmarkEvent.Bid();
    b.auction = auctionId;
    b.bidder = recentPerson(r, n, hotBidderRatio);
    b.price = nextPrice(r);
    b.channel = pick(r, CHANNELS);
    b.url = "https://www.nexmark.com/item.htm?query=" + auctionId;
    b.dateTime = eventTime(n);
    return b;
  }
}
