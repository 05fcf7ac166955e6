import { encode } from '@msgpack/msgpack';
import { FrameDecoder, FrameError, encodeFrame, type RecordBatch, type WireMessage } from './frames.ts';

/** A frame of any msgpack body. */
function encodeRaw(body: unknown): Buffer {
  const b = encode(body);
  const f = Buffer.alloc(4 + b.length);
  f.writeUInt32BE(b.length, 0);
  f.set(b, 4);
  return f;
}

const messages: WireMessage[] = [
  { t: 'hello', version: 3, from: 2, attempt: 3, parallelism: 4, job: 'uid-1', token: 's3cr3t' },
  {
    t: 'data',
    boundary: 1,
    records: [
      ...[5, 'apple', { n: 1 }, 1000],
      ...[6, 'pear', 'x', -Infinity],
      ...[32767, 'fig', 'fig', -Infinity],
      ...[0, 'kiwi', 'kiwi', 7],
      ...[1, 'plum', 2, 3],
    ],
  },
  { t: 'barrier', boundary: 1, id: 9, kind: 'savepoint', stop: true },
  { t: 'watermark', boundary: 2, watermark: Infinity },
  { t: 'credit', boundary: 1, batches: 8 },
  { t: 'end', boundary: 1 },
];

describe('shuffle frames', () => {
  it('round-trips every message type through one stream', () => {
    const stream = Buffer.concat(messages.map(encodeFrame));
    expect(new FrameDecoder().push(stream)).toEqual(messages);
  });

  it('reassembles frames split at every byte boundary', () => {
    const stream = Buffer.concat(messages.map(encodeFrame));
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const d = new FrameDecoder();
      const got: WireMessage[] = [];
      for (let i = 0; i < stream.length; i += size) got.push(...d.push(stream.subarray(i, i + size)));
      expect(got).toEqual(messages);
    }
  });

  it('decodes each data frame alone, with the record shapes it carries', () => {
    const bid = (i: number) => ({ auction: 1000 + i, bidder: 7, price: 100 * i, url: `u/${i}`, dateTime: i });
    const frame = (from: number): WireMessage => ({
      t: 'data',
      boundary: 1,
      records: [0, 1, 2].flatMap((i) => [i, `k${i}`, bid(from + i), from + i]),
    });
    const first = encodeFrame(frame(0));
    const second = encodeFrame(frame(10));
    // A fresh decoder (a new connection) given only the second frame: the shapes are in it.
    expect(new FrameDecoder().push(second)).toEqual([frame(10)]);
    expect(new FrameDecoder().push(Buffer.concat([second, first]))).toEqual([frame(10), frame(0)]);
  });

  it('keeps Maps, nested objects and undefined properties of a value', () => {
    const value = { m: new Map([['a', 1]]), nested: { deep: [1, { x: 'y' }] }, gone: undefined };
    const [m] = new FrameDecoder().push(encodeFrame({ t: 'data', boundary: 1, records: [3, 'k', value, 5] }));
    expect(m).toEqual({ t: 'data', boundary: 1, records: [3, 'k', value, 5] });
    const got = (m as { records: RecordBatch }).records[2] as typeof value;
    expect(got.m).toBeInstanceOf(Map);
    expect(Object.keys(got)).toEqual(['m', 'nested', 'gone']);
  });

  it('rejects oversized and unknown frames', () => {
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(0xffffffff, 0);
    expect(() => new FrameDecoder().push(huge)).toThrow(FrameError);
    const bogus = Buffer.from([0, 0, 0, 3, 0x92, 0x09, 0x01]);
    expect(() => new FrameDecoder().push(bogus)).toThrow(/unknown message type 9/);
  });

  it('rejects data frames whose flat records are malformed or truncated', () => {
    const frame = (records: unknown[]) => encodeRaw([1, 1, records]);
    expect(() => new FrameDecoder().push(frame(['x', 'key']))).toThrow(/malformed record/);
    expect(() => new FrameDecoder().push(frame([4 * 5, 'key']))).toThrow(/truncated record/);
    expect(() => new FrameDecoder().push(frame([4 * 5 + 3]))).toThrow(/malformed record/);
  });
});
