/**
 * Built-in job `nexmark-q7` — Nexmark Query 7 "highest bid": for every tumbling event-time
 * window of `windowMs`, the bid with the highest price. Computed in two keyed steps so no
 * single worker sees all bids: per auction the maximum bid of the window, then per window the
 * maximum of those. Ties on price are broken deterministically (earlier dateTime, then lower
 * auction id, then lower bidder id), so the result is a pure function of the events.
 *
 * Output records: `{ windowStart, windowEnd, auction, bidder, price, dateTime }`.
 *
 * Config: { "nexmark": { seed, eventsPerSecond, ... (generator.ts) }, "events"?: n,
 *           "partitions"?: 4, "rate"?: events/s, "windowMs"?: 10000, "output": ... }
 */
import { defineJob } from '../api/stream.ts';
import type { AggregateFunction, JsonValue } from '../api/types.ts';
import { tumbling } from '../core/windows.ts';
import type { NexmarkConfig } from '../nexmark/generator.ts';
import type { Bid, NexmarkEvent } from '../nexmark/model.ts';
import { nexmarkSource } from '../nexmark/source.ts';
import { num, obj, sinkFromConfig } from './io-config.ts';

/** Total order of bids for Q7: higher price first, then earlier, then lower auction, then lower bidder. */
export function betterBid<B extends Bid>(a: B, b: B): B {
  if (a.price !== b.price) return a.price > b.price ? a : b;
  if (a.dateTime !== b.dateTime) return a.dateTime < b.dateTime ? a : b;
  if (a.auction !== b.auction) return a.auction < b.auction ? a : b;
  return a.bidder <= b.bidder ? a : b;
}

/** Aggregate keeping the best bid (betterBid) of its inputs. */
function maxBid<B extends Bid>(): AggregateFunction<B, B | null, B | null> {
  return {
    createAccumulator: () => null,
    add: (acc, b) => (acc === null ? b : betterBid(acc, b)),
    getResult: (acc) => acc,
  };
}

/** Result record of Q7. */
export interface Q7Result {
  windowStart: number;
  windowEnd: number;
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
}

/** The Nexmark generator part of a job config. */
export function nexmarkOptions(config: Record<string, JsonValue>) {
  const rate = num(config, 'rate', 'config');
  const events = num(config, 'events', 'config');
  return {
    ...(obj(config.nexmark, 'nexmark') as Partial<NexmarkConfig>),
    partitions: num(config, 'partitions', 'config') ?? 4,
    ...(events !== undefined ? { events } : {}),
    ...(rate ? { rate } : {}),
  };
}

export default defineJob((env, ctx) => {
  const config = obj(ctx.config, 'config');
  const windowMs = num(config, 'windowMs', 'config') ?? 10_000;
  env
    .fromSource(nexmarkSource(nexmarkOptions(config)))
    .flatMap((e: NexmarkEvent) => (e.type === 'bid' ? [e.bid] : []), { name: 'bids' })
    .keyBy((b) => b.auction)
    .window(tumbling(windowMs))
    .aggregate(maxBid<Bid>(), { uid: 'max-per-auction' })
    .flatMap((r) => (r.value ? [{ ...r.value, windowStart: r.window.start, windowEnd: r.window.end }] : []))
    .keyBy((b) => b.windowEnd)
    .window(tumbling(windowMs))
    .aggregate(maxBid(), { uid: 'max-per-window' })
    .flatMap((r): Q7Result[] =>
      r.value
        ? [
            {
              windowStart: r.window.start,
              windowEnd: r.window.end,
              auction: r.value.auction,
              bidder: r.value.bidder,
              price: r.value.price,
              dateTime: r.value.dateTime,
            },
          ]
        : [],
    )
    .sinkTo(sinkFromConfig(config.output));
});
