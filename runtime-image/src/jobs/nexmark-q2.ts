/**
 * Built-in job `nexmark-q2` — Nexmark Query 2, selection: auction and price of the bids whose
 * auction id % 123 = 0 (nexmark/queries.ts `q2Rows`). No keyBy.
 *
 * Output records: `{ auction, price }`. Config: jobs/nexmark-options.ts.
 */
import { defineJob } from '../api/stream.ts';
import { bidsOf, q2Rows } from '../nexmark/queries.ts';
import { nexmarkSource } from '../nexmark/source.ts';
import { obj, sinkFromConfig } from './io-config.ts';
import { nexmarkOptions } from './nexmark-options.ts';

export default defineJob((env, ctx) => {
  const config = obj(ctx.config, 'config');
  env
    .fromSource(nexmarkSource(nexmarkOptions(config)))
    .flatMap(bidsOf, { name: 'bids' })
    .flatMap(q2Rows, { name: 'q2-filter' })
    .sinkTo(sinkFromConfig(config.output));
});
