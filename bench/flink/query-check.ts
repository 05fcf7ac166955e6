/**
 * Compares the rows the Flink side's Nexmark queries produced on a small input (QueryCheck.java,
 * JSON lines per query) with the straightforward references Sluice's built-in jobs are tested
 * against (test/harness/nexmark-reference.ts), over the same generated events:
 *
 *   node bench/flink/query-check.ts DIR EVENTS
 *
 * Exits 1 naming each query whose rows differ (counts and the first differing row).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  q0Reference,
  q1Reference,
  q2Reference,
  q5Reference,
  q7Reference,
} from '../../test/harness/nexmark-reference.ts';
import { nexmarkConfig, nexmarkEvent } from '../../runtime-image/src/nexmark/generator.ts';
import type { Bid } from '../../runtime-image/src/nexmark/model.ts';
import { rowDifference } from './row-difference.ts';

const [dir, eventsArg] = process.argv.slice(2);
if (!dir || !eventsArg) {
  console.error('usage: node bench/flink/query-check.ts DIR EVENTS');
  process.exit(2);
}
const events = Number(eventsArg);
const c = nexmarkConfig({});
const bids: Bid[] = [];
for (let n = 0; n < events; n++) {
  const e = nexmarkEvent(c, n);
  if (e.type === 'bid') bids.push(e.bid);
}

const references: Record<string, () => object[]> = {
  'nexmark-q0': () => q0Reference(bids),
  'nexmark-q1': () => q1Reference(bids),
  'nexmark-q2': () => q2Reference(bids),
  'nexmark-q5': () => q5Reference(bids, 10_000, 2_000),
  'nexmark-q7': () => q7Reference(bids, 10_000),
};

let failed = false;
for (const [query, reference] of Object.entries(references)) {
  const got = readFileSync(join(dir, `${query}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as object);
  const d = rowDifference(got, reference());
  if (d === undefined) console.log(`${query}: ${got.length} rows equal the reference`);
  else {
    failed = true;
    console.error(`${query}: ${d}`);
  }
}
process.exit(failed ? 1 : 0);
