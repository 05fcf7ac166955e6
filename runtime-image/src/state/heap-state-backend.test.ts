import { decodePayload } from '../checkpoint/snapshot-codec.ts';
import { keyGroupOf } from '../core/keygroups.ts';
import { HeapStateBackend } from './heap-state-backend.ts';
import { StateFormatError, type TableSnapshot } from './keyed-state-backend.ts';

describe('HeapStateBackend', () => {
  const range = { start: 10, end: 19 };

  function at(b: HeapStateBackend, key: string, kg: number): HeapStateBackend {
    b.setCurrentKey(key, kg);
    return b;
  }

  it('scopes value and map state to the current key', () => {
    const b = new HeapStateBackend(range);
    const count = b.valueState<number>('op', 'count');
    const seen = b.mapState<string, number>('op', 'seen');
    at(b, 'a', 10);
    count.update(1);
    seen.put('x', 1);
    at(b, 'b', 11);
    expect(count.value()).toBeUndefined();
    count.update(5);
    at(b, 'a', 10);
    expect(count.value()).toBe(1);
    expect([...seen.entries()]).toEqual([['x', 1]]);
    seen.remove('x');
    expect(seen.size()).toBe(0);
    expect(b.entryCount()).toBe(2);
  });

  it('keeps two handles on one map state consistent while each remembers the current key', () => {
    const b = new HeapStateBackend(range);
    const first = b.mapState<number, string>('win', 'windows');
    const second = b.mapState<number, string>('win', 'windows');
    at(b, 'a', 10);
    expect(first.get(1)).toBeUndefined(); // remembers "no Map for a"
    second.put(1, 'x'); // creates a's Map through the other handle
    expect(first.get(1)).toBe('x');
    first.put(2, 'y');
    expect([...second.entries()]).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
    second.clear(); // drops a's Map
    first.put(3, 'z'); // must land in the table, not in the dropped Map
    expect([...second.entries()]).toEqual([[3, 'z']]);
    first.remove(3); // the last entry: the Map is dropped
    second.put(4, 'w');
    expect(first.size()).toBe(1);
    expect(b.entryCount()).toBe(1);
    at(b, 'b', 11);
    expect(first.get(4)).toBeUndefined();
    at(b, 'a', 10);
    expect(first.get(4)).toBe('w');
  });

  it('reads restored map state through a handle that remembered the key before', () => {
    const b = new HeapStateBackend(range);
    const windows = b.mapState<number, string>('win', 'windows');
    at(b, 'a', 10);
    expect(windows.get(1000)).toBeUndefined();
    b.restoreGroup(10, [['win', 'windows', 'map', [['a', [[1000, 'restored']]]]]]);
    expect(windows.get(1000)).toBe('restored');
  });

  it('refuses keys of foreign key groups and kind mismatches', () => {
    const b = new HeapStateBackend(range);
    expect(() => b.setCurrentKey('k', 20)).toThrow(
      /key group 20 of key "k" is outside this worker's range 10..19/,
    );
    b.valueState('op', 's');
    expect(() => b.mapState('op', 's')).toThrow(StateFormatError);
  });

  it('snapshots per key group and restores into another range split', () => {
    const b = new HeapStateBackend({ start: 0, end: 127 });
    const count = b.valueState<number>('op', 'count');
    const windows = b.mapState<number, string>('win', 'windows');
    const keys = Array.from({ length: 300 }, (_, i) => `key-${i}`);
    for (const k of keys) {
      b.setCurrentKey(k, keyGroupOf(k, 128));
      count.update(k.length);
      windows.put(1000, k.toUpperCase());
    }
    const snap = b.snapshot();
    // Later writes do not leak into the captured snapshot.
    b.setCurrentKey('key-1', keyGroupOf('key-1', 128));
    count.update(-1);
    expect([...snap.keys()]).toEqual([...snap.keys()].sort((x, y) => x - y));

    // Restore into two halves, as a rescale would.
    const halves = [
      new HeapStateBackend({ start: 0, end: 63 }),
      new HeapStateBackend({ start: 64, end: 127 }),
    ];
    for (const [kg, bytes] of snap)
      halves[kg < 64 ? 0 : 1]!.restoreGroup(kg, decodePayload(bytes) as TableSnapshot[]);
    for (const k of keys) {
      const kg = keyGroupOf(k, 128);
      const h = halves[kg < 64 ? 0 : 1]!;
      h.setCurrentKey(k, kg);
      expect(h.valueState<number>('op', 'count').value()).toBe(k.length);
      expect(h.mapState<number, string>('win', 'windows').get(1000)).toBe(k.toUpperCase());
    }
    expect(halves[0]!.entryCount() + halves[1]!.entryCount()).toBe(600);
  });

  it('rejects malformed payloads', () => {
    const b = new HeapStateBackend(range);
    expect(() => b.restoreGroup(10, [['op', 's', 'list' as 'value', []]])).toThrow(/unknown kind list/);
    expect(() => b.restoreGroup(10, [['op'] as unknown as TableSnapshot])).toThrow(/malformed/);
    expect(() => b.restoreGroup(3, [])).toThrow(RangeError);
  });
});
