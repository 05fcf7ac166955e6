/**
 * Nexmark Query 5, "hot items" (the suite's SQL):
 *
 *   SELECT AuctionBids.auction, AuctionBids.num
 *   FROM (SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
 *         FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
 *         GROUP BY auction, window_start, window_end) AS AuctionBids
 *   JOIN (SELECT max(num) AS maxn, starttime, endtime FROM (…the same counts…) GROUP BY starttime, endtime) AS MaxBids
 *   ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime
 *      AND AuctionBids.num >= MaxBids.maxn
 *
 * i.e. per sliding window, every auction whose bid count is the window's maximum (all of them
 * on a tie). Step 1 counts per (auction, window); step 2 gathers one window's counts and keeps
 * those at the maximum (`hottestAuctions`).
 */
import type { AggregateFunction } from '../api/types.ts';

/** Bids of one auction in one window (step 1's result); also Q5's output row. */
export interface AuctionCount {
  auction: number;
  num: number;
  windowStart: number;
  windowEnd: number;
}

/** Step 2's accumulator: the maximum count seen in the window and the auctions that have it. */
export interface HottestAcc {
  num: number;
  windowStart: number;
  windowEnd: number;
  auctions: number[];
}

/** Counts records (step 1). */
export const countBids: AggregateFunction<unknown, number, number> = {
  createAccumulator: () => 0,
  add: (n) => n + 1,
  getResult: (n) => n,
};

/** Keeps the counts equal to the maximum of one window (step 2); every auction on a tie. */
export const hottestAuctions: AggregateFunction<AuctionCount, HottestAcc, AuctionCount[]> = {
  createAccumulator: () => ({ num: -1, windowStart: 0, windowEnd: 0, auctions: [] }),
  add(acc, c) {
    if (c.num > acc.num)
      return { num: c.num, windowStart: c.windowStart, windowEnd: c.windowEnd, auctions: [c.auction] };
    if (c.num === acc.num) acc.auctions.push(c.auction);
    return acc;
  },
  getResult: (acc) =>
    acc.auctions.map((auction) => ({
      auction,
      num: acc.num,
      windowStart: acc.windowStart,
      windowEnd: acc.windowEnd,
    })),
};
