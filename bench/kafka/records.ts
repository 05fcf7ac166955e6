/**
 * The records of the Kafka benchmark (docs/benchmarks.md "Kafka in and out"), pure functions:
 * the input (the bids of the Nexmark stream as JSON, deterministic), the map both engines apply
 * (Nexmark Q1: price × 0.908, as runtime-image/src/nexmark/queries.ts `q1Row` and Flink's
 * KafkaPipelineBench.Q1Map), and the order-independent digest by which the driver checks that an
 * output topic holds exactly the expected records.
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_NEXMARK,
  nexmarkEvent,
  type NexmarkConfig,
} from '../../runtime-image/src/nexmark/generator.ts';
import type { Bid } from '../../runtime-image/src/nexmark/model.ts';
import { q1Row } from '../../runtime-image/src/nexmark/queries.ts';

/** An input record: a Nexmark bid, plus `sentAt` (produce time, ms since the epoch) in the latency scenario. */
export interface BidRecord extends Bid {
  sentAt?: number;
}

/** An output record: Q1's row, plus the input's `sentAt` when it had one. */
export interface Q1Record {
  auction: number;
  bidder: number;
  /** Euros × 100 (cents × 0.908), not rounded. */
  price: number;
  dateTime: number;
  sentAt?: number;
}

/** Nexmark events per bid, on average: bids are 46 of every 50 events. */
const BID_EVENT_STRIDE = 50;
const BID_OFFSETS_IN_STRIDE = 46;

/**
 * Bid number `i` (0-based) of the Nexmark stream of `config`: the i-th event that is a bid.
 * @param i non-negative integer
 */
export function bidAt(i: number, config: NexmarkConfig = DEFAULT_NEXMARK): BidRecord {
  // Events n with n mod 50 ≥ 4 are bids (generator.ts proportions 1 : 3 : 46).
  const n =
    Math.floor(i / BID_OFFSETS_IN_STRIDE) * BID_EVENT_STRIDE +
    (BID_EVENT_STRIDE - BID_OFFSETS_IN_STRIDE) +
    (i % BID_OFFSETS_IN_STRIDE);
  const e = nexmarkEvent(config, n);
  if (e.type !== 'bid') throw new Error(`Nexmark event ${n} is a ${e.type}, not a bid`);
  const { auction, bidder, price, channel, url, dateTime } = e.bid;
  return { auction, bidder, price, channel, url, dateTime };
}

/** The input partition of record `i` among `partitions`: round-robin. */
export const partitionOf = (i: number, partitions: number): number => i % partitions;

/** The map of both engines: Q1's row of the bid, `sentAt` carried through. */
export function q1(b: BidRecord): Q1Record {
  const row = q1Row({ ...b });
  return b.sentAt === undefined ? row : { ...row, sentAt: b.sentAt };
}

/**
 * One output record as the digest sees it: its fields in a fixed order, numbers as JavaScript
 * prints them — so a record serialised by Jackson (`12.0`) and by JSON.stringify (`12`) are equal.
 * @throws Error when a field is missing or not a number
 */
export function canonicalOutput(v: unknown): string {
  const o = v as Record<string, unknown>;
  const fields = ['auction', 'bidder', 'price', 'dateTime'].map((k) => {
    if (typeof o?.[k] !== 'number')
      throw new Error(`output record without a numeric ${k}: ${JSON.stringify(v)}`);
    return String(o[k]);
  });
  if (o.sentAt !== undefined) fields.push(String(o.sentAt));
  return fields.join('|');
}

/** What a digest serialises to: the record count and the 64-bit sum, hex. */
export interface DigestValue {
  count: number;
  sum: string;
}

/**
 * Order-independent digest of a multiset of records: the count and the sum modulo 2^64 of each
 * record's 64-bit hash (the first 8 bytes of SHA-1 of its canonical form). The output topics'
 * partitions interleave differently on each side and run, so the order must not matter;
 * a missing, extra (duplicated) or changed record changes the count or the sum.
 */
export class ContentDigest {
  count = 0;
  private hi = 0;
  private lo = 0;

  /** Adds one record given in canonical form ({@link canonicalOutput}). */
  add(canonical: string): void {
    const h = createHash('sha1').update(canonical).digest();
    const lo = this.lo + h.readUInt32BE(4);
    this.lo = lo >>> 0;
    this.hi = (this.hi + h.readUInt32BE(0) + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    this.count++;
  }

  /** Adds one output record value (a JSON string). @throws Error when it is not a Q1 record */
  addJson(value: string): void {
    this.add(canonicalOutput(JSON.parse(value)));
  }

  toJSON(): DigestValue {
    return {
      count: this.count,
      sum: this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0'),
    };
  }
}

/**
 * Why an output does not hold exactly the expected records; empty when it does.
 * @param what names the output in the messages (e.g. "Sluice throughput p=1")
 */
export function outputProblems(what: string, expected: DigestValue, actual: DigestValue): string[] {
  if (actual.count !== expected.count)
    return [
      `${what}: ${actual.count} records read with read_committed, ${expected.count} expected ` +
        `(${actual.count > expected.count ? 'duplicates or extra records' : 'records missing'})`,
    ];
  if (actual.sum !== expected.sum)
    return [
      `${what}: ${actual.count} records as expected, but their content differs (digest ${actual.sum} ≠ ${expected.sum})`,
    ];
  return [];
}
