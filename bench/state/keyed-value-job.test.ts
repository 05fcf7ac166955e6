import { keyIndex, strideFor } from './keyed-value-job.ts';

describe('keyIndex', () => {
  it('loads every key once, in order', () => {
    expect([0, 1, 2, 9].map((n) => keyIndex(n, 10))).toEqual([0, 1, 2, 9]);
  });

  it('updates distinct keys spread over the key space for `keys` consecutive updates', () => {
    const keys = 10_000;
    const seen = new Set<number>();
    for (let n = keys; n < 2 * keys; n++) seen.add(keyIndex(n, keys));
    expect(seen.size).toBe(keys);
    // The first 1 % of updates reach every tenth of the key space.
    const tenths = new Set<number>();
    for (let n = keys; n < keys + keys / 100; n++) tenths.add(Math.floor(keyIndex(n, keys) / (keys / 10)));
    expect(tenths.size).toBe(10);
  });

  it('spreads 1 % of the updates over every tenth of the key space at the benchmark sizes', () => {
    for (const keys of [1_000_000, 10_000_000, 50_000_000]) {
      const s = strideFor(keys);
      const tenths = new Set<number>();
      for (let i = 0; i < keys / 100; i += 97)
        tenths.add(Math.floor(keyIndex(keys + i, keys, s) / (keys / 10)));
      expect(tenths.size).toBe(10);
    }
  });
});
