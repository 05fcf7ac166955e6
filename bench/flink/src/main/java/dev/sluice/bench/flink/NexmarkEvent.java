package dev.sluice.bench.flink;

/**
 * One Nexmark event (Sluice's {@code runtime-image/src/nexmark/model.ts}): exactly one of
 * {@link #person}, {@link #auction}, {@link #bid} is set. Times are ms since the epoch, prices
 * cents. Public fields and no-arg constructors make these Flink POJOs.
 */
public final class NexmarkEvent {
  public Person person;
  public Auction auction;
  public Bid bid;

  public NexmarkEvent() {}

  /** A registered user. */
  public static final class Person {
    public long id;
    public String name;
    public String emailAddress;
    public String creditCard;
    public String city;
    public String state;
    public long dateTime;

    public Person() {}
  }

  /** An item for sale. */
  public static final class Auction {
    public long id;
    public String itemName;
    public String description;
    public long initialBid;
    public long reserve;
    public long dateTime;
    public long expires;
    public long seller;
    public long category;

    public Auction() {}
  }

  /** A bid on an auction. */
  public static final class Bid {
    public long auction;
    public long bidder;
    public long price;
    public String channel;
    public String url;
    public long dateTime;

    public Bid() {}
  }

  /**
   * The event as JavaScript's {@code JSON.stringify} prints the TypeScript generator's object
   * (same key order), for the equivalence check against the TypeScript generator.
   */
  public String toJson() {
    StringBuilder s = new StringBuilder(256);
    if (person != null) {
      Person p = person;
      s.append("{\"type\":\"person\",\"person\":{\"id\":").append(p.id)
          .append(",\"name\":\"").append(p.name)
          .append("\",\"emailAddress\":\"").append(p.emailAddress)
          .append("\",\"creditCard\":\"").append(p.creditCard)
          .append("\",\"city\":\"").append(p.city)
          .append("\",\"state\":\"").append(p.state)
          .append("\",\"dateTime\":").append(p.dateTime).append("}}");
    } else if (auction != null) {
      Auction a = auction;
      s.append("{\"type\":\"auction\",\"auction\":{\"id\":").append(a.id)
          .append(",\"itemName\":\"").append(a.itemName)
          .append("\",\"description\":\"").append(a.description)
          .append("\",\"initialBid\":").append(a.initialBid)
          .append(",\"reserve\":").append(a.reserve)
          .append(",\"dateTime\":").append(a.dateTime)
          .append(",\"expires\":").append(a.expires)
          .append(",\"seller\":").append(a.seller)
          .append(",\"category\":").append(a.category).append("}}");
    } else {
      Bid b = bid;
      s.append("{\"type\":\"bid\",\"bid\":{\"auction\":").append(b.auction)
          .append(",\"bidder\":").append(b.bidder)
          .append(",\"price\":").append(b.price)
          .append(",\"channel\":\"").append(b.channel)
          .append("\",\"url\":\"").append(b.url)
          .append("\",\"dateTime\":").append(b.dateTime).append("}}");
    }
    return s.toString();
  }
}
