/**
 * Built-in job `nexmark-q1` — Nexmark Query 1, currency conversion: every bid with its price
 * multiplied by 0.908 (dollars to euros; nexmark/queries.ts `q1Row`). No keyBy.
 *
 * Output records: `{ auction, bidder, price, dateTime }`. Config: jobs/nexmark-options.ts.
 */
import { defineJob } from '../api/stream.ts';
import { bidsOf, q1Row } from '../nexmark/queries.ts';
import { nexmarkSource } from '../nexmark/source.ts';
import { obj, sinkFromConfig } from './io-config.ts';
import { nexmarkOptions } from './nexmark-options.ts';

export default defineJob((env, ctx) => {
  const config = obj(ctx.config, 'config');
  env
    .fromSource(nexmarkSource(nexmarkOptions(config)))
    .flatMap(bidsOf, { name: 'bids' })
    .map(q1Row, { name: 'q1-to-euro' })
    .sinkTo(sinkFromConfig(config.output));
});
