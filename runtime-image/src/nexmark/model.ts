/**
 * Nexmark event types (the schema of the Nexmark benchmark as used by Apache Beam and Flink's
 * nexmark suite: an online auction with people, auctions and bids). Times are ms since epoch.
 */

export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
}

export interface Auction {
  id: number;
  itemName: string;
  description: string;
  /** Cents. */
  initialBid: number;
  /** Cents. */
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
}

export interface Bid {
  auction: number;
  bidder: number;
  /** Cents. */
  price: number;
  channel: string;
  url: string;
  dateTime: number;
}

/** One generated event: exactly one of person, auction, bid is set (Nexmark's Event union). */
export type NexmarkEvent =
  { type: 'person'; person: Person } | { type: 'auction'; auction: Auction } | { type: 'bid'; bid: Bid };
