import { describe, expect, it } from '@jest/globals';
import { syntheticLine, words } from './wordcount.ts';

/** The tokenizer's definition: split the lower-cased line on runs of non-letters/non-numbers. */
const reference = (line: string): string[] =>
  line
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);

/** Characters from every class the tokenizer distinguishes: ASCII, Latin-1, other scripts, numbers, astral, lone surrogates. */
const ALPHABET = [
  ...'aZ9 _-,.\t\n\'"',
  'ß',
  'Ü',
  'é',
  '½',
  'Ⅻ',
  '٣',
  'İ',
  'Σ',
  'ς',
  'я',
  '中',
  '\u0307',
  '\u00a0',
  '𝔘',
  '𝟙',
  '😀',
  '\ud800',
  '\udc00',
];

describe('words', () => {
  it('splits on everything but letters and numbers, lower-cased', () => {
    expect(words('Hello, World!')).toEqual(['hello', 'world']);
    expect(words('ÜBER-straße 42x')).toEqual(['über', 'straße', '42x']);
    expect(words('a½b Ⅻ c_d')).toEqual(['a½b', 'ⅻ', 'c', 'd']);
    expect(words('  tabs\tand\nnewlines  ')).toEqual(['tabs', 'and', 'newlines']);
    expect(words("don't stop")).toEqual(['don', 't', 'stop']);
    expect(words('')).toEqual([]);
    expect(words(' ,; ')).toEqual([]);
  });

  it('keeps astral letters and numbers whole and splits on lone surrogates', () => {
    expect(words('𝔘𝔫𝔦 𝟙𝟚')).toEqual(['𝔘𝔫𝔦', '𝟙𝟚']);
    expect(words('a\ud800b😀c')).toEqual(['a', 'b', 'c']);
  });

  it('gives the words of the regex definition on random lines', () => {
    let x = 12345;
    const next = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    for (let t = 0; t < 5000; t++) {
      let line = '';
      const len = next(24);
      for (let k = 0; k < len; k++) line += ALPHABET[next(ALPHABET.length)];
      expect([line, words(line)]).toEqual([line, reference(line)]);
    }
  });

  it('gives the words of the regex definition on the synthetic corpus', () => {
    for (let n = 0; n < 1000; n++) {
      const line = syntheticLine(1, n, 1000, 8);
      expect(words(line)).toEqual(reference(line));
    }
  });
});
