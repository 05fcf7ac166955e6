/**
 * Built-in job `nexmark-q5` — Nexmark Query 5 "hot items" with the query's semantics
 * (nexmark/q5.ts): for every HOP window of `windowMs` sliding by `slideMs`, every auction whose
 * bid count is the window's maximum (all auctions on a tie).
 *
 * Output records: `{ auction, num, windowStart, windowEnd }` (the query's columns and the window).
 *
 * Config: jobs/nexmark-options.ts, plus "windowMs"?: 10000, "slideMs"?: 2000.
 */
import { defineJob } from '../api/stream.ts';
import { sliding, tumbling } from '../core/windows.ts';
import { countBids, hottestAuctions, type AuctionCount } from '../nexmark/q5.ts';
import { bidsOf } from '../nexmark/queries.ts';
import { nexmarkSource } from '../nexmark/source.ts';
import { num, obj, sinkFromConfig } from './io-config.ts';
import { nexmarkOptions } from './nexmark-options.ts';

export default defineJob((env, ctx) => {
  const config = obj(ctx.config, 'config');
  const windowMs = num(config, 'windowMs', 'config') ?? 10_000;
  const slideMs = num(config, 'slideMs', 'config') ?? 2_000;
  env
    .fromSource(nexmarkSource(nexmarkOptions(config)))
    .flatMap(bidsOf, { name: 'bids' })
    // The only column the query reads (the event time travels with the record): projected before the shuffle.
    .map((b) => b.auction, { name: 'q5-project' })
    .keyBy((auction) => auction)
    .window(sliding(windowMs, slideMs))
    .aggregate(countBids, { uid: 'bids-per-auction' })
    .map((r): AuctionCount => ({
      auction: Number(r.key),
      num: r.value,
      windowStart: r.window.start,
      windowEnd: r.window.end,
    }))
    .keyBy((c) => c.windowEnd)
    // Counts of window [s, e) carry timestamp e − 1: a tumbling window of `slideMs` gathers exactly those of one end.
    .window(tumbling(slideMs))
    .aggregate(hottestAuctions, { uid: 'hottest-per-window' })
    .flatMap((r) => r.value)
    .sinkTo(sinkFromConfig(config.output));
});
