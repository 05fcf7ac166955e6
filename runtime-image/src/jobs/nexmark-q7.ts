/**
 * Built-in job `nexmark-q7` — Nexmark Query 7 "highest bid" with the query's semantics
 * (nexmark/q7.ts): for every tumbling window of `windowMs`, every bid priced at the window's
 * maximum with window start ≤ dateTime ≤ window end (the SQL's inclusive BETWEEN).
 *
 * Output records: `{ auction, price, bidder, dateTime, windowStart, windowEnd }` (the query's
 * columns and the window joined with).
 *
 * Config: jobs/nexmark-options.ts, plus "windowMs"?: 10000.
 */
import { defineJob } from '../api/stream.ts';
import type { ValueState } from '../api/types.ts';
import { tumbling } from '../core/windows.ts';
import { joinedRows, mergeTopBids, partialTopBids, type PreviousWindow, type Q7Row } from '../nexmark/q7.ts';
import { bidsOf, q0Row } from '../nexmark/queries.ts';
import { nexmarkSource } from '../nexmark/source.ts';
import { num, obj, sinkFromConfig } from './io-config.ts';
import { nexmarkOptions } from './nexmark-options.ts';

export default defineJob((env, ctx) => {
  const config = obj(ctx.config, 'config');
  const windowMs = num(config, 'windowMs', 'config') ?? 10_000;
  let previous: ValueState<PreviousWindow>;
  env
    .fromSource(nexmarkSource(nexmarkOptions(config)))
    .flatMap(bidsOf, { name: 'bids' })
    // The columns the query reads: projected before the shuffle.
    .map(q0Row, { name: 'q7-project' })
    .keyBy((b) => b.auction)
    .window(tumbling(windowMs))
    .aggregate(partialTopBids(windowMs), { uid: 'top-per-auction' })
    .map((r) => r.value)
    // One key: a window's parts meet on one worker (as the SQL's global MAX).
    .keyBy(() => 0)
    .window(tumbling(windowMs))
    .aggregate(mergeTopBids, { uid: 'top-per-window' })
    .keyBy(() => 0)
    .process<Q7Row>(
      {
        open: (state) => {
          previous = state.valueState<PreviousWindow>('previous');
        },
        processElement: (r, out) => {
          for (const row of joinedRows(r.window.start, r.window.end, r.value, previous.value()))
            out.emit(row);
          if (r.value.max >= 0) previous.update({ windowEnd: r.window.end, max: r.value.max });
        },
      },
      { uid: 'join-previous-window' },
    )
    .sinkTo(sinkFromConfig(config.output));
});
