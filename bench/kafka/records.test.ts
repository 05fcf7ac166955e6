import { DEFAULT_NEXMARK, nexmarkEvent } from '../../runtime-image/src/nexmark/generator.ts';
import { bidAt, canonicalOutput, ContentDigest, outputProblems, partitionOf, q1 } from './records.ts';

describe('bidAt', () => {
  it('is the i-th bid of the Nexmark stream, in order', () => {
    const bids = [];
    for (let n = 0; bids.length < 200; n++) {
      const e = nexmarkEvent(DEFAULT_NEXMARK, n);
      if (e.type === 'bid') {
        const { auction, bidder, price, channel, url, dateTime } = e.bid;
        bids.push({ auction, bidder, price, channel, url, dateTime });
      }
    }
    expect(bids.map((_, i) => bidAt(i))).toEqual(bids);
  });

  it('spreads records round-robin over the partitions', () => {
    expect([0, 1, 2, 3, 4, 5].map((i) => partitionOf(i, 4))).toEqual([0, 1, 2, 3, 0, 1]);
  });
});

describe('q1 and canonicalOutput', () => {
  it('converts the price as Nexmark Q1 does and carries sentAt', () => {
    const b = { auction: 1, bidder: 2, price: 1000, channel: 'c', url: 'u', dateTime: 5 };
    expect(q1(b)).toEqual({ auction: 1, bidder: 2, price: 908, dateTime: 5 });
    expect(q1({ ...b, sentAt: 9 })).toEqual({ auction: 1, bidder: 2, price: 908, dateTime: 5, sentAt: 9 });
  });

  it('reads a record serialised by Jackson (12.0) as JSON.stringify writes it (12)', () => {
    const js = JSON.stringify({ auction: 1, bidder: 2, price: 12, dateTime: 3 });
    const jackson = '{"auction":1,"bidder":2,"price":12.0,"dateTime":3}';
    expect(canonicalOutput(JSON.parse(jackson))).toBe(canonicalOutput(JSON.parse(js)));
    expect(canonicalOutput({ auction: 1, bidder: 2, price: 0.5, dateTime: 3, sentAt: 4 })).toBe(
      '1|2|0.5|3|4',
    );
  });

  it('refuses a record without a numeric field', () => {
    expect(() => canonicalOutput({ auction: 1, bidder: 2, price: '12', dateTime: 3 })).toThrow(
      'numeric price',
    );
  });
});

describe('ContentDigest and outputProblems', () => {
  const digest = (xs: string[]) => {
    const d = new ContentDigest();
    for (const x of xs) d.add(x);
    return d.toJSON();
  };

  it('does not depend on the order of the records', () => {
    expect(digest(['a', 'b', 'c'])).toEqual(digest(['c', 'a', 'b']));
    expect(digest(['a', 'b', 'c']).count).toBe(3);
    expect(digest(['a']).sum).toMatch(/^[0-9a-f]{16}$/);
  });

  it('passes exactly the expected records', () => {
    expect(outputProblems('x', digest(['a', 'b']), digest(['b', 'a']))).toEqual([]);
  });

  it('names missing, duplicated and changed records', () => {
    const expected = digest(['a', 'b', 'c']);
    expect(outputProblems('Flink p=1', expected, digest(['a', 'b']))).toEqual([
      'Flink p=1: 2 records read with read_committed, 3 expected (records missing)',
    ]);
    expect(outputProblems('x', expected, digest(['a', 'b', 'c', 'c']))[0]).toContain(
      'duplicates or extra records',
    );
    expect(outputProblems('x', expected, digest(['a', 'b', 'd']))[0]).toContain('content differs');
  });

  it('carries into the high word (sums modulo 2^64)', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `r${i}`);
    const a = digest(many);
    const b = digest([...many].reverse());
    expect(a).toEqual(b);
    expect(a.sum.slice(0, 8)).not.toBe('00000000');
  });
});
