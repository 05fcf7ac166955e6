/**
 * Prints checksums of Sluice's TypeScript generators, for bench/flink's Java ports to compare
 * with (`GeneratorCheck`): the first N Nexmark events (JSON.stringify of each, one per line) and
 * the first N synthetic wordcount lines and their tokens, as sha256 over the whole and per block.
 *
 *   node bench/flink/generator-checksum.ts [--events 100000] [--lines 100000] > checksums.json
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { nexmarkConfig, nexmarkEvent } from '../../runtime-image/src/nexmark/generator.ts';
import { syntheticLine, words } from '../../runtime-image/src/jobs/wordcount.ts';

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
};
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
