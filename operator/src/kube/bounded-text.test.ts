import { MAX_MESSAGE_BYTES, boundText, countedSummary, summarizeList, utf8Bytes } from './bounded-text.ts';

describe('boundText', () => {
  it('keeps text within the bound as it is', () => {
    expect(boundText('short', 10)).toBe('short');
    expect(boundText('x'.repeat(10), 10)).toBe('x'.repeat(10));
  });

  it('cuts longer text to the bound in UTF-8 bytes, ending in an ellipsis', () => {
    const cut = boundText('x'.repeat(10_000));
    expect(utf8Bytes(cut)).toBe(MAX_MESSAGE_BYTES);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('never splits a multi-byte character or a surrogate pair', () => {
    const cut = boundText('€'.repeat(100), 11); // 3 bytes each: 2 fit before the 3-byte ellipsis
    expect(cut).toBe('€€…');
    const emoji = boundText('😀'.repeat(10), 12);
    expect(emoji).toBe('😀😀…');
    expect(utf8Bytes(emoji)).toBeLessThanOrEqual(12);
  });
});

describe('summarizeList / countedSummary', () => {
  const names = Array.from({ length: 37 }, (_, i) => `a-1-${i}`);

  it('names the first items and counts the rest', () => {
    expect(summarizeList(names)).toBe('a-1-0, a-1-1, a-1-2, … and 34 more');
    expect(summarizeList(names.slice(0, 3))).toBe('a-1-0, a-1-1, a-1-2');
    expect(summarizeList(names, 1)).toBe('a-1-0, … and 36 more');
  });

  it('says how many in all', () => {
    expect(
      countedSummary(
        names.map((n) => `${n} OOMKilled`),
        'worker',
        'failed',
      ),
    ).toBe('37 workers failed: a-1-0 OOMKilled, a-1-1 OOMKilled, a-1-2 OOMKilled, … and 34 more');
    expect(countedSummary(['a-1-0 Error'], 'worker', 'failed')).toBe('1 worker failed: a-1-0 Error');
  });

  it('stays under 4 KiB however long the items are', () => {
    const long = Array.from({ length: 300 }, (_, i) => `a-1-${i} (${'m'.repeat(4096)})`);
    const s = countedSummary(long, 'worker', 'failed');
    expect(utf8Bytes(s)).toBeLessThan(4096);
    expect(s).toMatch(/^300 workers failed: a-1-0 \(m+…, a-1-1 \(m+…, a-1-2 \(m+…, … and 297 more$/);
  });
});
