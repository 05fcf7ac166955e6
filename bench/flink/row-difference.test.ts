import { rowDifference } from './row-difference.ts';

describe('rowDifference', () => {
  it('accepts the same rows in any order and key order', () => {
    expect(rowDifference([{ b: 2, a: 1 }, { a: 3 }], [{ a: 3 }, { a: 1, b: 2 }])).toBeUndefined();
  });

  it('names the counts and the first differing row', () => {
    expect(rowDifference([{ a: 1 }, { a: 2 }], [{ a: 1 }, { a: 3 }])).toBe(
      'Flink gave 2 rows, the reference 2; first difference at sorted row 1: Flink {"a":2} vs reference {"a":3}',
    );
    expect(rowDifference([{ a: 1 }], [{ a: 1 }, { a: 1 }])).toBe(
      'Flink gave 1 rows, the reference 2; first difference at sorted row 1: Flink (none) vs reference {"a":1}',
    );
    expect(rowDifference([{ a: 1 }, { a: 1 }], [{ a: 1 }])).toBe(
      'Flink gave 2 rows, the reference 1; first difference at sorted row 1: Flink {"a":1} vs reference (none)',
    );
  });
});
