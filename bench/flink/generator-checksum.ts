/**
 * Prints checksums of Sluice's TypeScript generators, for bench/flink's Java ports to compare
 * with (`GeneratorCheck`): the first N Nexmark events (JSON.stringify of each, one per line) and
 * the first N synthetic wordcount lines and their tokens, as sha256 over the whole and per block;
 * and the keys of the state benchmark's job (bench/state/keyed-value-job.ts strideFor, keyIndex):
 * strides for several key counts, sample key indexes up to 10^8 keys, and the sha256 of the keys
 * of the first 3 · KEYED_VALUE_KEYS records over KEYED_VALUE_KEYS keys.
 *
 *   node bench/flink/generator-checksum.ts [--events 100000] [--lines 100000] > checksums.json
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { nexmarkConfig, nexmarkEvent } from '../../runtime-image/src/nexmark/generator.ts';
import { syntheticLine, words } from '../../runtime-image/src/jobs/wordcount.ts';
import { keyIndex, strideFor } from '../state/keyed-value-job.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    lines: { type: 'string', default: '100000' },
    block: { type: 'string', default: '10000' },
  },
});
const EVENTS = Number(values.events);
const LINES = Number(values.lines);
const BLOCK = Number(values.block);

/** sha256 over `item(i) + '\n'` for i in [0, n), whole and per block of BLOCK items. */
function digest(n: number, item: (i: number) => string): { sha256: string; blocks: string[] } {
  const all = createHash('sha256');
  const blocks: string[] = [];
  let block = createHash('sha256');
  for (let i = 0; i < n; i++) {
    const s = `${item(i)}\n`;
    all.update(s);
    block.update(s);
    if ((i + 1) % BLOCK === 0 || i === n - 1) {
      blocks.push(block.digest('hex'));
      block = createHash('sha256');
    }
  }
  return { sha256: all.digest('hex'), blocks };
}

// The defaults of the built-in jobs (nexmark: DEFAULT_NEXMARK; wordcount: seed 1, vocabulary 1000, 8 words per line).
const c = nexmarkConfig({});
const seed = 1;
const vocabulary = 1000;
const wordsPerLine = 8;
const samples = ['Hello, World!', 'ÜBER-straße 42x', 'a½b Ⅻ c_d', '  tabs\tand\nnewlines  ', "don't stop"];

// Key counts of the state benchmark's defaults and smaller runs, odd ones and some with small factors.
const KEY_COUNTS = [1, 2, 3, 10, 1000, 65536, 200000, 1000000, 9699690, 10000000, 12345678, 100000000];
const KEYED_VALUE_KEYS = 100000;
/** Record numbers to sample per key count: the load phase's ends and update records up to 10 rounds of 1 %. */
const sampleRecords = (keys: number) => [
  0,
  keys - 1,
  keys,
  keys + 1,
  keys + 12345,
  2 * keys - 1,
  keys + Math.round(keys * 0.1) - 1,
];

const out = {
  block: BLOCK,
  nexmark: {
    config: c,
    events: EVENTS,
    first: [0, 1, 4].map((n) => JSON.stringify(nexmarkEvent(c, n))),
    ...digest(EVENTS, (n) => JSON.stringify(nexmarkEvent(c, n))),
  },
  wordcount: {
    seed,
    vocabulary,
    wordsPerLine,
    lines: LINES,
    first: [0, 1, 2].map((n) => syntheticLine(seed, n, vocabulary, wordsPerLine)),
    ...digest(LINES, (n) => syntheticLine(seed, n, vocabulary, wordsPerLine)),
    tokens: digest(LINES, (n) => words(syntheticLine(seed, n, vocabulary, wordsPerLine)).join(' ')).sha256,
  },
  tokenizer: samples.map((s) => ({ line: s, words: words(s) })),
  keyedValue: {
    strides: KEY_COUNTS.map((keys) => ({ keys, stride: strideFor(keys) })),
    samples: KEY_COUNTS.flatMap((keys) =>
      sampleRecords(keys).map((n) => ({ keys, n, index: keyIndex(n, keys) })),
    ),
    keys: KEYED_VALUE_KEYS,
    records: 3 * KEYED_VALUE_KEYS,
    ...digest(3 * KEYED_VALUE_KEYS, (n) => `k${keyIndex(n, KEYED_VALUE_KEYS)}`),
  },
};
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
