/**
 * Nexmark Query 7, "highest bid" (the suite's SQL):
 *
 *   SELECT B.auction, B.price, B.bidder, B.dateTime
 *   FROM bid B
 *   JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime
 *         FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
 *         GROUP BY window_start, window_end) B1
 *   ON B.price = B1.maxprice
 *   WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime
 *
 * For every tumbling window [s, e) with maximum price M: every bid with price M and
 * s ≤ dateTime ≤ e. `BETWEEN` is inclusive, so a bid at exactly e — which belongs to the next
 * window — joins window [s, e) too when its price is M (and may join its own window as well).
 *
 * Computed in three keyed steps so no worker sees all bids:
 * 1. per auction and window (`partialTopBids`): the local maximum, the bids at it, and every bid
 *    at the window's first millisecond (`first`: candidates for the previous window's join);
 * 2. per window, on one key (`mergeTopBids`): the window's maximum, its top bids, its `first` bids;
 * 3. in window order, on one key (`joinedRows`): the top bids, plus the `first` bids priced at the
 *    previous window's maximum when that window ends where this one starts.
 */
import type { AggregateFunction } from '../api/types.ts';
import type { BidRow } from './queries.ts';

/** Q7's output row: the bid's columns and the window it was joined with. */
export interface Q7Row extends BidRow {
  windowStart: number;
  windowEnd: number;
}

/** Top bids of a part of one window (steps 1 and 2). */
export interface TopBids {
  /** Highest price seen; -1 when none. */
  max: number;
  /** Bids priced `max`. */
  top: BidRow[];
  /** Every bid at the window's first millisecond (dateTime = window start). */
  first: BidRow[];
}

/**
 * Step 1: the top bids and first-millisecond bids of one auction in one window of `windowMs`, from
 * the bids' columns the query reads (`q0Row`).
 */
export const partialTopBids = (windowMs: number): AggregateFunction<BidRow, TopBids, TopBids> => ({
  createAccumulator: () => ({ max: -1, top: [], first: [] }),
  add(acc, b) {
    if (b.dateTime % windowMs === 0) acc.first.push(b);
    if (b.price > acc.max) {
      acc.max = b.price;
      acc.top = [b];
    } else if (b.price === acc.max) acc.top.push(b);
    return acc;
  },
  getResult: (acc) => acc,
});

/** Step 2: merges the parts of one window. */
export const mergeTopBids: AggregateFunction<TopBids, TopBids, TopBids> = {
  createAccumulator: () => ({ max: -1, top: [], first: [] }),
  add(acc, p) {
    for (const f of p.first) acc.first.push(f);
    if (p.max > acc.max) {
      acc.max = p.max;
      acc.top = [...p.top];
    } else if (p.max === acc.max) for (const t of p.top) acc.top.push(t);
    return acc;
  },
  getResult: (acc) => acc,
};

/** What step 3 keeps of the previous window. */
export interface PreviousWindow {
  windowEnd: number;
  max: number;
}

/**
 * Step 3: the rows of window [windowStart, windowEnd) given its merged top bids and the
 * previous window that had bids (windows arrive in order of their end).
 */
export function joinedRows(
  windowStart: number,
  windowEnd: number,
  w: TopBids,
  previous: PreviousWindow | undefined,
): Q7Row[] {
  const rows: Q7Row[] = w.top.map((b) => ({ ...b, windowStart, windowEnd }));
  if (previous && previous.windowEnd === windowStart) {
    for (const b of w.first) {
      if (b.price === previous.max)
        rows.push({ ...b, windowStart: windowStart - (windowEnd - windowStart), windowEnd: windowStart });
    }
  }
  return rows;
}
