/**
 * Nexmark queries computed the straightforward way over a whole list of bids, written from the
 * queries' SQL (docs/runtime.md "Built-in jobs") independently of the jobs' incremental
 * implementation: whole-input scans, nested loops, decimal arithmetic with BigInt. For tests on
 * small inputs only.
 */
import type { Bid } from '../../runtime-image/src/nexmark/model.ts';

/** Q0: SELECT auction, bidder, price, dateTime FROM bid. */
export function q0Reference(bids: Bid[]): object[] {
  return bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime }));
}

/** `price × 0.908` as the exact decimal, then the nearest double (what a DECIMAL prints as). */
function times0908(price: number): number {
  const milli = BigInt(price) * 908n;
  const sign = milli < 0n ? '-' : '';
  const abs = milli < 0n ? -milli : milli;
  return Number(`${sign}${abs / 1000n}.${String(abs % 1000n).padStart(3, '0')}`);
}

/** Q1: SELECT auction, bidder, 0.908 * price AS price, dateTime FROM bid. */
export function q1Reference(bids: Bid[]): object[] {
  return bids.map((b) => ({
    auction: b.auction,
    bidder: b.bidder,
    price: times0908(b.price),
    dateTime: b.dateTime,
  }));
}

/** Q2: SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0. */
export function q2Reference(bids: Bid[]): object[] {
  return bids.filter((b) => b.auction % 123 === 0).map((b) => ({ auction: b.auction, price: b.price }));
}

/**
 * Q5: per HOP window (size `sizeMs`, slide `slideMs`, aligned to 0), every auction whose bid
 * count equals the window's maximum → {auction, num, windowStart, windowEnd}.
 */
export function q5Reference(bids: Bid[], sizeMs: number, slideMs: number): object[] {
  let minT = Infinity;
  let maxT = -Infinity;
  for (const b of bids) {
    minT = Math.min(minT, b.dateTime);
    maxT = Math.max(maxT, b.dateTime);
  }
  const out: object[] = [];
  const firstStart = Math.floor((minT - sizeMs) / slideMs) * slideMs;
  for (let start = firstStart; start <= maxT; start += slideMs) {
    const end = start + sizeMs;
    const counts = new Map<number, number>();
    for (const b of bids)
      if (b.dateTime >= start && b.dateTime < end) counts.set(b.auction, (counts.get(b.auction) ?? 0) + 1);
    if (counts.size === 0) continue;
    const max = Math.max(...counts.values());
    for (const [auction, num] of counts)
      if (num >= max) out.push({ auction, num, windowStart: start, windowEnd: end });
  }
  return out;
}

/**
 * Q7: per TUMBLE window [s, e) of `sizeMs` with maximum price M, every bid with price = M and
 * s ≤ dateTime ≤ e (BETWEEN is inclusive) → {auction, price, bidder, dateTime, windowStart, windowEnd}.
 */
export function q7Reference(bids: Bid[], sizeMs: number): object[] {
  const maxPrice = new Map<number, number>();
  for (const b of bids) {
    const start = Math.floor(b.dateTime / sizeMs) * sizeMs;
    maxPrice.set(start, Math.max(maxPrice.get(start) ?? -Infinity, b.price));
  }
  const out: object[] = [];
  for (const [start, max] of maxPrice) {
    const end = start + sizeMs;
    for (const b of bids) {
      if (b.price === max && b.dateTime >= start && b.dateTime <= end) {
        out.push({
          auction: b.auction,
          price: b.price,
          bidder: b.bidder,
          dateTime: b.dateTime,
          windowStart: start,
          windowEnd: end,
        });
      }
    }
  }
  return out;
}

/** Rows as sorted JSON strings with sorted keys: equal multisets compare equal. */
export function canonicalRows(rows: object[]): string[] {
  return rows
    .map((r) =>
      JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))),
    )
    .sort();
}
