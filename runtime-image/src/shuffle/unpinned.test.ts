import v8 from 'node:v8';
import vm from 'node:vm';
import { FrameDecoder, encodeFrame, type RecordBatch } from './frames.ts';
import { SLICED_STRING_MIN_LENGTH, unpinned, unpinnedString } from './unpinned.ts';

/** A full garbage collection (the flag set at run time, `gc` taken from a fresh context). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

const long = (n: number) => `https://www.nexmark.com/item.htm?query=${n}`;

describe('unpinned', () => {
  it('returns an equal string, and a short one as it is', () => {
    const s = long(7);
    expect(unpinnedString(s)).toBe(s);
    expect(unpinnedString('x'.repeat(SLICED_STRING_MIN_LENGTH - 1))).toBe(
      'x'.repeat(SLICED_STRING_MIN_LENGTH - 1),
    );
    expect(unpinnedString('')).toBe('');
  });

  it('keeps the value of nested objects, arrays, Maps and Sets, their order included', () => {
    const make = () => ({
      url: long(1),
      n: 3,
      nothing: undefined,
      list: [long(2), 'short', { deep: [long(3)] }, null],
      byName: new Map<unknown, unknown>([
        [long(4), { v: long(5) }],
        ['b', 2],
      ]),
      tags: new Set([long(6), 'a']),
    });
    const decoded = make();
    const result = unpinned(decoded);
    expect(result).toBe(decoded);
    expect(result).toEqual(make());
    expect([...(result as ReturnType<typeof make>).byName.keys()]).toEqual([long(4), 'b']);
    expect([...(result as ReturnType<typeof make>).tags]).toEqual([long(6), 'a']);
  });

  it('leaves other objects as they are', () => {
    class Point {
      label: string;
      constructor(label: string) {
        this.label = label;
      }
    }
    const p = new Point(long(8));
    const bytes = Buffer.from('abc');
    const date = new Date(0);
    expect(unpinned(p)).toBe(p);
    expect(unpinned(bytes)).toBe(bytes);
    expect(unpinned(date)).toBe(date);
    expect(unpinned(42)).toBe(42);
    expect(unpinned(null)).toBeNull();
  });
});

describe('values decoded from shuffle frames', () => {
  it('do not keep the rest of their frame alive', () => {
    // 2048 records per frame, each with a 36-character key and a bid whose url is 40
    // characters: msgpackr's native extractor decodes runs of such strings as one string and hands
    // out slices of it. Keeping one record of each of 1000 frames kept about 6.8 MiB before
    // (bench/results/ab/msgpackr-string-slices/frames-decode.ts), about 1.4 MiB with copies.
    const records: RecordBatch = [];
    for (let n = 0; n < 2048; n++) {
      const id = `5f0c${String(n).padStart(4, '0')}-3a1b-4c2d-9e8f-00000000${String(n).padStart(4, '0')}`;
      records.push(n % 128, id, { auction: n, price: 100, channel: 'Google', url: long(n), dateTime: n }, n);
    }
    const frame = encodeFrame({ t: 'data', boundary: 1, records });
    const kept: unknown[] = [];
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let f = 0; f < 1000; f++) {
      const [m] = new FrameDecoder().push(frame);
      if (m?.t !== 'data') throw new Error('expected a data frame');
      const i = 4 * ((f * 7) % 2048);
      kept.push(m.records[i + 1], m.records[i + 2]);
    }
    collectGarbage();
    const grownMiB = (process.memoryUsage().heapUsed - before) / 1048576;
    expect(kept[1]).toEqual(records[2]);
    expect(grownMiB).toBeLessThan(3.5);
  });

  it('keep binary values as copies of their own', () => {
    const payload = Buffer.alloc(1000, 7);
    const frame = encodeFrame({ t: 'data', boundary: 1, records: [0, 'k', { payload }, 1] });
    const [m] = new FrameDecoder().push(frame);
    if (m?.t !== 'data') throw new Error('expected a data frame');
    const decoded = (m.records[2] as { payload: Uint8Array }).payload;
    expect(Buffer.from(decoded)).toEqual(payload);
    expect(decoded.buffer.byteLength).toBe(decoded.byteLength);
  });
});
