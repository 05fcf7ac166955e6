/**
 * Built-in job `nexmark-q0` — Nexmark Query 0, pass-through: every bid's auction, bidder,
 * price and dateTime (nexmark/queries.ts). No keyBy: source, chain and sink in one stage.
 *
 * Output records: `{ auction, bidder, price, dateTime }`. Config: jobs/nexmark-options.ts.
 */
import { defineJob } from '../api/stream.ts';
import { bidsOf, q0Row } from '../nexmark/queries.ts';
import { nexmarkSource } from '../nexmark/source.ts';
import { obj, sinkFromConfig } from './io-config.ts';
import { nexmarkOptions } from './nexmark-options.ts';

export default defineJob((env, ctx) => {
  const config = obj(ctx.config, 'config');
  env
    .fromSource(nexmarkSource(nexmarkOptions(config)))
    .flatMap(bidsOf, { name: 'bids' })
    .map(q0Row, { name: 'q0-project' })
    .sinkTo(sinkFromConfig(config.output));
});
