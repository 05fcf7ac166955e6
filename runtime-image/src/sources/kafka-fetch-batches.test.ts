import { dataRecords, type FetchedBatch } from './kafka-fetch-batches.ts';

const TXN = 1 << 4;
const CONTROL = 1 << 5;

function batch(firstOffset: number, values: string[], producerId = -1n, attributes = 0): FetchedBatch {
  return {
    firstOffset: BigInt(firstOffset),
    lastOffsetDelta: values.length - 1,
    firstTimestamp: 1000n,
    attributes,
    producerId,
    records: values.map((v, i) => ({
      offsetDelta: i,
      timestampDelta: BigInt(i),
      key: null,
      value: Buffer.from(v),
    })),
  };
}

/** A transaction marker at `offset`: type 0 = ABORT, 1 = COMMIT. */
function marker(offset: number, producerId: bigint, type: 0 | 1): FetchedBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  return {
    firstOffset: BigInt(offset),
    lastOffsetDelta: 0,
    firstTimestamp: 0n,
    attributes: TXN | CONTROL,
    producerId,
    records: [{ offsetDelta: 0, timestampDelta: 0n, key, value: Buffer.alloc(6) }],
  };
}

const values = (r: ReturnType<typeof dataRecords>) =>
  r.records.map((x) => `${x.offset}:${x.value?.toString()}`);

describe('dataRecords', () => {
  it('skips records before the fetch offset (batches start where they start) and reports the next offset', () => {
    const r = dataRecords([batch(0, ['a', 'b', 'c']), batch(3, ['d'])], null, 1n, undefined, true);
    expect(values(r)).toEqual(['1:b', '2:c', '3:d']);
    expect(r.next).toBe(4n);
    expect(r.records[0]!.timestamp).toBe(1001);
  });

  it('stops before the stop offset and never moves the position past it', () => {
    const r = dataRecords([batch(0, ['a', 'b', 'c']), batch(3, ['d'])], null, 0n, 2n, true);
    expect(values(r)).toEqual(['0:a', '1:b']);
    expect(r.next).toBe(2n);
  });

  it('read_committed: drops an aborted transaction even when its ABORT marker is in a later response; markers are never data', () => {
    const p = 7n;
    const first = dataRecords(
      [batch(0, ['x1', 'x2'], p, TXN), batch(2, ['plain'])],
      [{ producerId: p, firstOffset: 0n }],
      0n,
      undefined,
      true,
    );
    expect(values(first)).toEqual(['2:plain']);
    expect(first.next).toBe(3n);
    const second = dataRecords(
      [marker(3, p, 0), batch(4, ['y1'], p, TXN), marker(5, p, 1)],
      [],
      first.next,
      undefined,
      true,
    );
    expect(values(second)).toEqual(['4:y1']);
    expect(second.next).toBe(6n);
  });

  it('read_committed: a committed transaction of the same producer after an aborted one is kept', () => {
    const p = 9n;
    const r = dataRecords(
      [batch(0, ['bad'], p, TXN), marker(1, p, 0), batch(2, ['good'], p, TXN), marker(3, p, 1)],
      [{ producerId: p, firstOffset: 0n }],
      0n,
      undefined,
      true,
    );
    expect(values(r)).toEqual(['2:good']);
    expect(r.next).toBe(4n);
  });

  it('read_uncommitted: keeps aborted records, still drops markers', () => {
    const p = 7n;
    const r = dataRecords(
      [batch(0, ['x1'], p, TXN), marker(1, p, 0)],
      [{ producerId: p, firstOffset: 0n }],
      0n,
      undefined,
      false,
    );
    expect(values(r)).toEqual(['0:x1']);
    expect(r.next).toBe(2n);
  });
});
