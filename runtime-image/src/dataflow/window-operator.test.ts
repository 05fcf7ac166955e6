import type { AggregateFunction, WindowResult } from '../api/types.ts';
import { keyGroupOf } from '../core/keygroups.ts';
import { sliding, tumbling } from '../core/windows.ts';
import { decodePayload } from '../checkpoint/snapshot-codec.ts';
import { HeapStateBackend } from '../state/heap-state-backend.ts';
import type { TableSnapshot } from '../state/keyed-state-backend.ts';
import { windowOperator } from './window-operator.ts';

const sum: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (a, v) => a + v,
  getResult: (a) => a,
};

function harness(spec = tumbling(10)) {
  const backend = new HeapStateBackend({ start: 0, end: 127 });
  const stats = { lateRecords: 0, firedWindows: 0 };
  const op = windowOperator(
    'w',
    spec,
    sum as AggregateFunction<unknown, unknown, unknown>,
    { backend, watermark: () => 0 },
    stats,
  );
  const out: Array<[WindowResult<number>, number]> = [];
  const emit = (v: unknown, ts: number) => out.push([v as WindowResult<number>, ts]);
  const add = (key: string, value: number, ts: number) => {
    backend.setCurrentKey(key, keyGroupOf(key, 128));
    op.process(value, ts, emit);
  };
  return { backend, op, out, emit, add, stats };
}

describe('window operator', () => {
  it('fires each (key, window) once when the watermark reaches end − 1', () => {
    const h = harness();
    h.add('a', 1, 0);
    h.add('a', 2, 9);
    h.add('b', 5, 3);
    h.add('a', 7, 10);
    h.op.onWatermark!(8, h.emit);
    expect(h.out).toEqual([]);
    h.op.onWatermark!(9, h.emit);
    expect(h.out).toEqual([
      [{ key: 'a', window: { start: 0, end: 10 }, value: 3 }, 9],
      [{ key: 'b', window: { start: 0, end: 10 }, value: 5 }, 9],
    ]);
    h.op.onWatermark!(Infinity, h.emit);
    expect(h.out[2]).toEqual([{ key: 'a', window: { start: 10, end: 20 }, value: 7 }, 19]);
    expect(h.stats.firedWindows).toBe(3);
    expect(h.backend.entryCount()).toBe(0);
  });

  it('drops late records and counts them', () => {
    const h = harness();
    h.op.onWatermark!(19, h.emit);
    h.add('a', 1, 15);
    expect(h.stats.lateRecords).toBe(1);
    h.add('a', 1, 20);
    expect(h.stats.lateRecords).toBe(1);
  });

  it('adds a record to every sliding window it belongs to', () => {
    const h = harness(sliding(10, 5));
    h.add('a', 1, 7);
    h.op.onWatermark!(Infinity, h.emit);
    expect(h.out.map(([r]) => r.window)).toEqual([
      { start: 0, end: 10 },
      { start: 5, end: 15 },
    ]);
  });

  it('fires windows restored from a snapshot', () => {
    const h = harness();
    h.add('a', 4, 1);
    h.add('b', 6, 12);
    const snap = h.backend.snapshot();
    const h2 = harness();
    for (const [kg, bytes] of snap) h2.backend.restoreGroup(kg, decodePayload(bytes) as TableSnapshot[]);
    h2.op.onWatermark!(Infinity, h2.emit);
    expect(h2.out.map(([r]) => r)).toEqual([
      { key: 'a', window: { start: 0, end: 10 }, value: 4 },
      { key: 'b', window: { start: 10, end: 20 }, value: 6 },
    ]);
  });
});
