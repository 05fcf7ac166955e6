import {
  AUCTION_PROPORTION,
  BID_PROPORTION,
  FIRST_AUCTION_ID,
  FIRST_PERSON_ID,
  PERSON_PROPORTION,
  TOTAL_PROPORTION,
  eventTime,
  lastBase0AuctionId,
  lastBase0PersonId,
  nexmarkConfig,
  nexmarkEvent,
} from './generator.ts';

const N = 5000;

describe('nexmark generator', () => {
  it('is deterministic: the same config and event number give the same event', () => {
    const a = nexmarkConfig({ seed: 7 });
    const b = nexmarkConfig({ seed: 7 });
    for (let n = 0; n < N; n += 7) expect(nexmarkEvent(b, n)).toEqual(nexmarkEvent(a, n));
    // Independent of generation order: backwards gives the same events.
    const forward = Array.from({ length: 200 }, (_, n) => nexmarkEvent(a, n));
    const backward = Array.from({ length: 200 }, (_, i) => nexmarkEvent(a, 199 - i)).reverse();
    expect(backward).toEqual(forward);
  });

  it('depends on the seed', () => {
    const a = Array.from({ length: 100 }, (_, n) => nexmarkEvent(nexmarkConfig({ seed: 1 }), n));
    const b = Array.from({ length: 100 }, (_, n) => nexmarkEvent(nexmarkConfig({ seed: 2 }), n));
    expect(b).not.toEqual(a);
  });

  it('keeps the 1:3:46 person:auction:bid proportions', () => {
    const c = nexmarkConfig();
    const counts = { person: 0, auction: 0, bid: 0 };
    for (let n = 0; n < TOTAL_PROPORTION * 40; n++) counts[nexmarkEvent(c, n).type]++;
    expect(counts).toEqual({
      person: 40 * PERSON_PROPORTION,
      auction: 40 * AUCTION_PROPORTION,
      bid: 40 * BID_PROPORTION,
    });
  });

  it('assigns consecutive person and auction ids and only references existing ones', () => {
    const c = nexmarkConfig({ seed: 3 });
    let nextPerson = FIRST_PERSON_ID;
    let nextAuction = FIRST_AUCTION_ID;
    for (let n = 0; n < N; n++) {
      const e = nexmarkEvent(c, n);
      if (e.type === 'person') expect(e.person.id).toBe(nextPerson++);
      else if (e.type === 'auction') {
        expect(e.auction.id).toBe(nextAuction++);
        expect(e.auction.seller).toBeGreaterThanOrEqual(FIRST_PERSON_ID);
        expect(e.auction.seller).toBeLessThan(nextPerson);
        expect(e.auction.reserve).toBeGreaterThan(e.auction.initialBid);
      } else {
        expect(e.bid.auction).toBeGreaterThanOrEqual(FIRST_AUCTION_ID);
        expect(e.bid.auction).toBeLessThan(nextAuction);
        expect(e.bid.bidder).toBeLessThan(nextPerson);
        expect(e.bid.price).toBeGreaterThanOrEqual(100);
        expect(e.bid.price).toBeLessThanOrEqual(100_000_000);
      }
    }
    expect(lastBase0PersonId(N - 1)).toBe(nextPerson - 1 - FIRST_PERSON_ID);
    expect(lastBase0AuctionId(N - 1)).toBe(nextAuction - 1 - FIRST_AUCTION_ID);
  });

  it('has monotonic event time at the configured rate', () => {
    const c = nexmarkConfig({ eventsPerSecond: 1000, baseTime: 1_000_000 });
    expect(eventTime(c, 0)).toBe(1_000_000);
    expect(eventTime(c, 1000)).toBe(1_001_000);
    let prev = -Infinity;
    for (let n = 0; n < 300; n++) {
      const e = nexmarkEvent(c, n);
      const t =
        e.type === 'bid' ? e.bid.dateTime : e.type === 'auction' ? e.auction.dateTime : e.person.dateTime;
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
  });

  it('sends most bids to hot auctions', () => {
    const c = nexmarkConfig({ seed: 11 });
    let hot = 0;
    let bids = 0;
    for (let n = 0; n < N; n++) {
      const e = nexmarkEvent(c, n);
      if (e.type !== 'bid') continue;
      bids++;
      const last = lastBase0AuctionId(n);
      if (e.bid.auction === FIRST_AUCTION_ID + Math.floor(last / 2) * 2) hot++;
    }
    expect(hot / bids).toBeGreaterThan(0.4);
    expect(hot / bids).toBeLessThan(0.7);
  });

  it('rejects nonsensical config', () => {
    expect(() => nexmarkConfig({ eventsPerSecond: 0 })).toThrow(/eventsPerSecond/);
  });
});
