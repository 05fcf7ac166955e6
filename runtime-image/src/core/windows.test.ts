import { assignWindows, maxTimestamp, sliding, tumbling, windowStart } from './windows.ts';

describe('window assignment', () => {
  it('puts a record into the one tumbling window containing it', () => {
    expect(assignWindows(tumbling(10_000), 0)).toEqual([{ start: 0, end: 10_000 }]);
    expect(assignWindows(tumbling(10_000), 9_999)).toEqual([{ start: 0, end: 10_000 }]);
    expect(assignWindows(tumbling(10_000), 10_000)).toEqual([{ start: 10_000, end: 20_000 }]);
    expect(assignWindows(tumbling(10_000), 1_700_000_012_345)).toEqual([
      { start: 1_700_000_010_000, end: 1_700_000_020_000 },
    ]);
  });

  it('handles negative timestamps and offsets like Flink getWindowStartWithOffset', () => {
    expect(windowStart(-1, 10)).toBe(-10);
    expect(windowStart(-10, 10)).toBe(-10);
    expect(windowStart(-11, 10)).toBe(-20);
    expect(windowStart(7, 10, 5)).toBe(5);
    expect(windowStart(4, 10, 5)).toBe(-5);
    expect(assignWindows(tumbling(60_000, 15_000), 70_000)).toEqual([{ start: 15_000, end: 75_000 }]);
  });

  it('assigns size/slide sliding windows, oldest first, all containing the record', () => {
    const ws = assignWindows(sliding(10_000, 2_000), 13_500);
    expect(ws).toEqual([
      { start: 4_000, end: 14_000 },
      { start: 6_000, end: 16_000 },
      { start: 8_000, end: 18_000 },
      { start: 10_000, end: 20_000 },
      { start: 12_000, end: 22_000 },
    ]);
    for (const w of ws) expect(13_500 >= w.start && 13_500 < w.end).toBe(true);
    expect(assignWindows(sliding(10, 3), 0)).toHaveLength(4);
  });

  it('fires at end − 1 and rejects records without event time', () => {
    expect(maxTimestamp({ start: 0, end: 10 })).toBe(9);
    expect(() => assignWindows(tumbling(10), Number.NaN)).toThrow(RangeError);
    expect(() => tumbling(0)).toThrow(/window size/);
    expect(() => sliding(10, -1)).toThrow(/window slide/);
  });
});
