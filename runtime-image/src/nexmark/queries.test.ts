import {
  canonicalRows,
  q1Reference,
  q2Reference,
  q5Reference,
  q7Reference,
} from '../../../test/harness/nexmark-reference.ts';
import type { Bid } from './model.ts';
import { countBids, hottestAuctions, type AuctionCount } from './q5.ts';
import { joinedRows, mergeTopBids, partialTopBids, type PreviousWindow, type TopBids } from './q7.ts';
import { q0Row, q1Row, q2Rows } from './queries.ts';
import { assignWindows, sliding, tumbling } from '../core/windows.ts';
import type { AggregateFunction } from '../api/types.ts';

const bid = (auction: number, price: number, dateTime: number, bidder = 1): Bid => ({
  auction,
  bidder,
  price,
  dateTime,
  channel: 'c',
  url: 'u',
});

/** Runs `agg` per (key, window) over `items` as a keyed window operator does; results by window start order. */
function windowed<T, A, O>(
  items: Array<{ key: string; ts: number; value: T }>,
  spec: ReturnType<typeof tumbling>,
  agg: AggregateFunction<T, A, O>,
): Array<{ key: string; start: number; end: number; value: O }> {
  const accs = new Map<string, { key: string; start: number; end: number; acc: A }>();
  for (const it of items) {
    for (const w of assignWindows(spec, it.ts)) {
      const id = `${w.end}\u0000${it.key}`;
      const cur = accs.get(id) ?? { key: it.key, start: w.start, end: w.end, acc: agg.createAccumulator() };
      cur.acc = agg.add(cur.acc, it.value);
      accs.set(id, cur);
    }
  }
  return [...accs.values()]
    .sort((a, b) => a.end - b.end)
    .map((x) => ({ key: x.key, start: x.start, end: x.end, value: agg.getResult(x.acc) }));
}

describe('Nexmark Q1 and Q2 rows', () => {
  it('convert prices to euros as the exact decimal would, and keep auctions divisible by 123', () => {
    const bids = [1, 3, 7, 1234, 99_999_999, 100_000_003].map((p, i) => bid(123 * i + (i % 2), p, i));
    expect(canonicalRows(bids.map(q1Row))).toEqual(canonicalRows(q1Reference(bids)));
    expect(q1Row(bid(1, 1000, 0)).price).toBe(908);
    expect(canonicalRows(bids.flatMap(q2Rows))).toEqual(canonicalRows(q2Reference(bids)));
    expect(bids.flatMap(q2Rows).map((r) => r.auction)).toEqual([0, 246, 492]);
  });
});

describe('Nexmark Q5 steps', () => {
  it('emit every auction at the window maximum, ties included', () => {
    const bids = [
      bid(1, 5, 100),
      bid(2, 5, 150),
      bid(1, 5, 900),
      bid(2, 5, 950),
      bid(3, 5, 1100),
      bid(3, 5, 1200),
      bid(3, 5, 1300),
    ];
    const size = 1000;
    const slide = 500;
    const counts: AuctionCount[] = windowed(
      bids.map((b) => ({ key: String(b.auction), ts: b.dateTime, value: q0Row(b) })),
      sliding(size, slide),
      countBids,
    ).map((r) => ({ auction: Number(r.key), num: r.value, windowStart: r.start, windowEnd: r.end }));
    const rows = windowed(
      counts.map((c) => ({ key: String(c.windowEnd), ts: c.windowEnd - 1, value: c })),
      tumbling(slide),
      hottestAuctions,
    ).flatMap((r) => r.value);
    const expected = q5Reference(bids, size, slide);
    expect(canonicalRows(rows)).toEqual(canonicalRows(expected));
    // Window [500, 1500): auction 1 and 2 once each, auction 3 three times.
    expect(expected).toContainEqual({ auction: 3, num: 3, windowStart: 500, windowEnd: 1500 });
    // Window [0, 1000): auctions 1 and 2 tie at two bids.
    expect(expected.filter((r) => (r as AuctionCount).windowStart === 0)).toHaveLength(2);
  });
});

describe('Nexmark Q7 steps', () => {
  it('join the window maximum back to every bid with that price, the end millisecond included', () => {
    const size = 1000;
    const bids = [
      bid(1, 70, 10),
      bid(2, 90, 20, 7),
      bid(3, 90, 999, 8), // tie at the maximum of [0, 1000)
      bid(4, 90, 1000, 9), // at the end of [0, 1000): joins it (BETWEEN), and [1000, 2000) where 90 is not the max
      bid(5, 95, 1500),
      bid(6, 40, 2000), // at the end of [1000, 2000) but below its maximum
      bid(7, 95, 3000), // at the end of [2000, 3000), whose maximum is 40: only its own window
      bid(8, 10, 2500),
    ];
    const partials = windowed(
      bids.map((b) => ({ key: String(b.auction), ts: b.dateTime, value: q0Row(b) })),
      tumbling(size),
      partialTopBids(size),
    );
    const merged = windowed(
      partials.map((p) => ({ key: '0', ts: p.end - 1, value: p.value })),
      tumbling(size),
      mergeTopBids,
    );
    let previous: PreviousWindow | undefined;
    const rows = merged.flatMap((w) => {
      const out = joinedRows(w.start, w.end, w.value as TopBids, previous);
      previous = { windowEnd: w.end, max: w.value.max };
      return out;
    });
    const expected = q7Reference(bids, size);
    expect(canonicalRows(rows)).toEqual(canonicalRows(expected));
    expect(
      expected
        .filter((r) => (r as { windowStart: number }).windowStart === 0)
        .map((r) => (r as Bid).auction)
        .sort(),
    ).toEqual([2, 3, 4]);
  });
});
