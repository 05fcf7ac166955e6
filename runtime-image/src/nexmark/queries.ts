/**
 * Row-level functions of the Nexmark queries (the Nexmark benchmark's SQL as run by Flink's
 * nexmark suite), shared by the built-in jobs in jobs/nexmark-q*.ts:
 *
 *   Q0  SELECT auction, bidder, price, dateTime FROM bid
 *   Q1  SELECT auction, bidder, 0.908 * price AS price, dateTime FROM bid
 *   Q2  SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0
 *
 * The suite's `extra` column is not generated here (nexmark/model.ts has no such field), so
 * it is left out of every projection.
 */
import type { Bid, NexmarkEvent } from './model.ts';

/** Q0/Q1 output row. `price` in cents (Q1: euro cents, not rounded). */
export interface BidRow {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
}

/** Q2 output row. */
export interface AuctionPrice {
  auction: number;
  price: number;
}

/** The bids of an event stream (`FROM bid`): one bid or none per event. */
export function bidsOf(e: NexmarkEvent): Bid[] {
  return e.type === 'bid' ? [e.bid] : [];
}

/** Q0: the bid's columns, unchanged. */
export function q0Row(b: Bid): BidRow {
  return { auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime };
}

/** Dollar → euro factor of Q1. */
export const Q1_EURO_PER_DOLLAR = 0.908;

/**
 * Q1: price × 0.908. Computed as `price · 908 / 1000` — the product of two integers is exact
 * below 2^53, so the one rounding is the division's: the double nearest the exact decimal.
 */
export function q1Row(b: Bid): BidRow {
  return { auction: b.auction, bidder: b.bidder, price: (b.price * 908) / 1000, dateTime: b.dateTime };
}

/** Q2's filter: auction id divisible by 123. */
export const Q2_AUCTION_MODULUS = 123;

/** Q2: auction and price of the bids whose auction id % 123 = 0; nothing for the others. */
export function q2Rows(b: Bid): AuctionPrice[] {
  return b.auction % Q2_AUCTION_MODULUS === 0 ? [{ auction: b.auction, price: b.price }] : [];
}
