/** Compares two multisets of rows (query output vs reference) for bench/flink/query-check.ts. */
import { canonicalRows } from '../../test/harness/nexmark-reference.ts';

/**
 * Undefined when `got` and `want` hold the same rows (any order, key order ignored), else a
 * sentence with both counts and the first differing row in sorted order.
 */
export function rowDifference(got: object[], want: object[]): string | undefined {
  const g = canonicalRows(got);
  const w = canonicalRows(want);
  const i = w.findIndex((row, k) => g[k] !== row);
  if (g.length === w.length && i < 0) return undefined;
  const at = i < 0 ? w.length : i;
  return (
    `Flink gave ${g.length} rows, the reference ${w.length}; first difference at sorted row ${at}: ` +
    `Flink ${g[at] ?? '(none)'} vs reference ${w[at] ?? '(none)'}`
  );
}
