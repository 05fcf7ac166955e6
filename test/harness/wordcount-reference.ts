/**
 * A small deterministic wordcount corpus and what the built-in `wordcount` job must commit for
 * it (one `{word, count}` per occurrence), for exactly-once assertions on committed output.
 */
import { expect } from '@jest/globals';

/** A deterministic corpus of `objects` text objects of `lines` lines (LCG-chosen words). */
export function corpus(objects: number, lines: number, seed: number): Map<string, string> {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out = new Map<string, string>();
  for (let o = 0; o < objects; o++) {
    const text: string[] = [];
    for (let l = 0; l < lines; l++) {
      const n = 1 + Math.floor(rnd() * 6);
      text.push(Array.from({ length: n }, () => `w${Math.floor(rnd() * rnd() * 60)}`).join(' '));
    }
    out.set(`part-${o}.txt`, text.join('\n') + '\n');
  }
  return out;
}

/** Every `{word, count}` a failure-free wordcount emits, as sorted "word count" strings. */
export function reference(texts: Iterable<string>): string[] {
  const totals = new Map<string, number>();
  for (const t of texts) {
    for (const w of t.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (w) totals.set(w, (totals.get(w) ?? 0) + 1);
  }
  const out: string[] = [];
  for (const [w, n] of totals) for (let k = 1; k <= n; k++) out.push(`${w} ${k}`);
  return out.sort();
}

/** Fails with the first differences unless `records` equal `expected` as multisets (no loss, no duplicate). */
export function expectExactlyOnce(records: Array<{ word: string; count: number }>, expected: string[]): void {
  const actual = records.map((r) => `${r.word} ${r.count}`);
  const tally = (xs: string[]) =>
    xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const a = tally(actual);
  const e = tally(expected);
  const missing = [...e].filter(([k, n]) => (a.get(k) ?? 0) < n).map(([k]) => k);
  const extra = [...a].filter(([k, n]) => (e.get(k) ?? 0) < n).map(([k, n]) => `${k} ×${n}`);
  expect({ missing: missing.slice(0, 10), extra: extra.slice(0, 10), total: actual.length }).toEqual({
    missing: [],
    extra: [],
    total: expected.length,
  });
}
