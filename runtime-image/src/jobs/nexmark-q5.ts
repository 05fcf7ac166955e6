/**
 * Built-in job `nexmark-q5` — Nexmark Query 5 "hot items": for every sliding event-time window
 * of `windowMs` advancing by `slideMs`, the auction with the most bids (ties: lower auction id).
 * Step 1 counts bids per (auction, window); step 2, keyed by window end, keeps the maximum.
 *
 * Output records: `{ windowStart, windowEnd, auction, count }`.
 *
 * Config: as nexmark-q7, plus "windowMs"?: 10000, "slideMs"?: 2000.
 */
import { defineJob } from '../api/stream.ts';
import type { AggregateFunction } from '../api/types.ts';
import { sliding, tumbling } from '../core/windows.ts';
import type { NexmarkEvent } from '../nexmark/model.ts';
import { nexmarkSource } from '../nexmark/source.ts';
import { num, obj, sinkFromConfig } from './io-config.ts';
import { nexmarkOptions } from './nexmark-q7.ts';

/** Count of bids of one auction in one window. */
export interface AuctionCount {
  auction: number;
  count: number;
  windowStart: number;
  windowEnd: number;
}

const count: AggregateFunction<unknown, number, number> = {
  createAccumulator: () => 0,
  add: (n) => n + 1,
  getResult: (n) => n,
};

/** Hotter of two counts: more bids, then lower auction id. */
export function hotter(a: AuctionCount, b: AuctionCount): AuctionCount {
  if (a.count !== b.count) return a.count > b.count ? a : b;
  return a.auction <= b.auction ? a : b;
}

const hottest: AggregateFunction<AuctionCount, AuctionCount | null, AuctionCount | null> = {
  createAccumulator: () => null,
  add: (acc, c) => (acc === null ? c : hotter(acc, c)),
  getResult: (acc) => acc,
};

export default defineJob((env, ctx) => {
  const config = obj(ctx.config, 'config');
  const windowMs = num(config, 'windowMs', 'config') ?? 10_000;
  const slideMs = num(config, 'slideMs', 'config') ?? 2_000;
  env
    .fromSource(nexmarkSource(nexmarkOptions(config)))
    .flatMap((e: NexmarkEvent) => (e.type === 'bid' ? [e.bid.auction] : []), { name: 'bid-auctions' })
    .keyBy((a) => a)
    .window(sliding(windowMs, slideMs))
    .aggregate(count, { uid: 'bids-per-auction' })
    .map((r): AuctionCount => ({
      auction: Number(r.key),
      count: r.value,
      windowStart: r.window.start,
      windowEnd: r.window.end,
    }))
    .keyBy((c) => c.windowEnd)
    // Results of window [s, e) carry timestamp e − 1: a tumbling window of `slideMs` gathers exactly those of one end.
    .window(tumbling(slideMs))
    .aggregate(hottest, { uid: 'hottest-per-window' })
    .flatMap((r) => (r.value ? [r.value] : []))
    .sinkTo(sinkFromConfig(config.output));
});
