/**
 * Deterministic Nexmark event generator. Event n (0-based, global) depends only on the config
 * and n, so any partition of the sequence can be produced and resumed from an offset.
 *
 * Follows the structure of the Nexmark generator (Beam's NexmarkUtils/GeneratorConfig; facts,
 * not code): out of every 50 events 1 is a person, 3 are auctions, 46 are bids; people and
 * auctions get consecutive ids from 1000; a bid goes to a "hot" auction (the most recent
 * multiple of hotAuctionRatio) with probability 1 − 1/hotAuctionRatio, else to one of the
 * in-flight auctions; bidders likewise; prices are 100·10^(6u) cents with u uniform.
 * Event time advances by 1000/eventsPerSecond ms per event from `baseTime`.
 */
import { randomFor, type Random } from '../core/prng.ts';
import type { Auction, Bid, NexmarkEvent, Person } from './model.ts';

/** Generator configuration (all fields optional in user config; see DEFAULT_NEXMARK). */
export interface NexmarkConfig {
  seed: number;
  /** Event-time rate: events per second of event time (not wall clock). */
  eventsPerSecond: number;
  /** Event time of event 0, ms since epoch. */
  baseTime: number;
  /** Auctions still open at any moment (bids go to these). */
  inFlightAuctions: number;
  /** People recently active (auction sellers and bidders come from these). */
  activePeople: number;
  hotAuctionRatio: number;
  hotBidderRatio: number;
  hotSellerRatio: number;
  /** Auction lifetime in event time, ms. */
  auctionDurationMs: number;
}

export const DEFAULT_NEXMARK: NexmarkConfig = {
  seed: 42,
  eventsPerSecond: 10_000,
  baseTime: Date.UTC(2024, 0, 1),
  inFlightAuctions: 100,
  activePeople: 1000,
  hotAuctionRatio: 2,
  hotBidderRatio: 4,
  hotSellerRatio: 4,
  auctionDurationMs: 10_000,
};

export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const TOTAL_PROPORTION = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;

const FIRST_NAMES = [
  'Peter',
  'Paul',
  'Luke',
  'John',
  'Saul',
  'Vicky',
  'Kate',
  'Julie',
  'Sarah',
  'Deiter',
  'Walter',
];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const CITIES = [
  'Phoenix',
  'Los Angeles',
  'San Francisco',
  'Boise',
  'Portland',
  'Bend',
  'Redmond',
  'Seattle',
  'Kent',
];
const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

/** Merges user config over the defaults. @throws RangeError on non-positive rates or ratios. */
export function nexmarkConfig(partial: Partial<NexmarkConfig> = {}): NexmarkConfig {
  const c = { ...DEFAULT_NEXMARK, ...partial };
  for (const k of [
    'eventsPerSecond',
    'inFlightAuctions',
    'activePeople',
    'hotAuctionRatio',
    'hotBidderRatio',
  ] as const) {
    if (!(c[k] > 0)) throw new RangeError(`nexmark ${k} must be > 0, got ${c[k]}`);
  }
  return c;
}

/** Event time of event n, ms (monotonic in n). */
export function eventTime(c: NexmarkConfig, n: number): number {
  return c.baseTime + Math.floor((n * 1000) / c.eventsPerSecond);
}

/** Highest 0-based person id created at or before event n (−1 if none). */
export function lastBase0PersonId(n: number): number {
  const epoch = Math.floor(n / TOTAL_PROPORTION);
  const offset = Math.min(n % TOTAL_PROPORTION, PERSON_PROPORTION - 1);
  return epoch * PERSON_PROPORTION + offset;
}

/** Highest 0-based auction id created at or before event n (−1 if none). */
export function lastBase0AuctionId(n: number): number {
  let epoch = Math.floor(n / TOTAL_PROPORTION);
  let offset = n % TOTAL_PROPORTION;
  if (offset < PERSON_PROPORTION) {
    epoch -= 1;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

function pick<T>(r: Random, xs: readonly T[]): T {
  return xs[r.int(xs.length)]!;
}

function nextPrice(r: Random): number {
  return Math.round(Math.pow(10, r.next() * 6) * 100);
}

function recentPerson(c: NexmarkConfig, r: Random, n: number, hotRatio: number): number {
  const last = Math.max(0, lastBase0PersonId(n));
  if (r.int(hotRatio) > 0) return FIRST_PERSON_ID + Math.floor(last / hotRatio) * hotRatio;
  const active = Math.min(last + 1, c.activePeople);
  return FIRST_PERSON_ID + last - r.int(active);
}

function person(c: NexmarkConfig, r: Random, n: number): Person {
  const id = FIRST_PERSON_ID + lastBase0PersonId(n);
  return {
    id,
    name: `${pick(r, FIRST_NAMES)} ${pick(r, LAST_NAMES)}`,
    emailAddress: `p${id}@example.com`,
    creditCard: String(1000_0000_0000_0000 + r.int(9000_0000) * 1000_0000 + r.int(1000_0000)),
    city: pick(r, CITIES),
    state: pick(r, STATES),
    dateTime: eventTime(c, n),
  };
}

function auction(c: NexmarkConfig, r: Random, n: number): Auction {
  const id = FIRST_AUCTION_ID + lastBase0AuctionId(n);
  const initialBid = nextPrice(r);
  const t = eventTime(c, n);
  return {
    id,
    itemName: `item-${id}`,
    description: `description of item ${id}`,
    initialBid,
    reserve: initialBid + nextPrice(r),
    dateTime: t,
    expires: t + c.auctionDurationMs,
    seller: recentPerson(c, r, n, c.hotSellerRatio),
    category: FIRST_CATEGORY_ID + r.int(NUM_CATEGORIES),
  };
}

function bid(c: NexmarkConfig, r: Random, n: number): Bid {
  const last = Math.max(0, lastBase0AuctionId(n));
  let auctionId: number;
  if (r.int(c.hotAuctionRatio) > 0) {
    auctionId = FIRST_AUCTION_ID + Math.floor(last / c.hotAuctionRatio) * c.hotAuctionRatio;
  } else {
    auctionId = FIRST_AUCTION_ID + last - r.int(Math.min(last + 1, c.inFlightAuctions));
  }
  return {
    auction: auctionId,
    bidder: recentPerson(c, r, n, c.hotBidderRatio),
    price: nextPrice(r),
    channel: pick(r, CHANNELS),
    url: `https://www.nexmark.com/item.htm?query=${auctionId}`,
    dateTime: eventTime(c, n),
  };
}

/**
 * Event n of the stream configured by `c`.
 * @param n non-negative integer event number
 */
export function nexmarkEvent(c: NexmarkConfig, n: number): NexmarkEvent {
  const r = randomFor(c.seed, n);
  const offset = n % TOTAL_PROPORTION;
  if (offset < PERSON_PROPORTION) return { type: 'person', person: person(c, r, n) };
  if (offset < PERSON_PROPORTION + AUCTION_PROPORTION) return { type: 'auction', auction: auction(c, r, n) };
  return { type: 'bid', bid: bid(c, r, n) };
}
