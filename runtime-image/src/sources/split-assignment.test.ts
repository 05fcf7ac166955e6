import { ownerOfIndexedSplit, ownerOfNamedSplit } from './split-assignment.ts';

describe('split assignment', () => {
  it('gives every split exactly one owner for every parallelism', () => {
    const names = Array.from({ length: 50 }, (_, i) => `corpus/part-${i}.txt`);
    for (const p of [1, 2, 3, 5]) {
      for (const n of names) {
        const o = ownerOfNamedSplit(n, p);
        expect(o).toBeGreaterThanOrEqual(0);
        expect(o).toBeLessThan(p);
        expect(ownerOfNamedSplit(n, p)).toBe(o);
      }
      const owners = new Set(Array.from({ length: 12 }, (_, k) => ownerOfIndexedSplit(k, p)));
      expect(owners.size).toBe(p);
    }
  });
});
