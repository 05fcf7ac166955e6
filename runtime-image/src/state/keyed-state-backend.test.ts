/**
 * One behaviour suite for both keyed-state backends (heap, and RocksDB on a temp dir), plus the
 * canonical format across them: a snapshot of either restores into the other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePayload } from '../checkpoint/snapshot-codec.ts';
import { keyGroupOf, type KeyGroupRange } from '../core/keygroups.ts';
import { HeapStateBackend } from './heap-state-backend.ts';
import { StateFormatError, type KeyedStateBackend, type TableSnapshot } from './keyed-state-backend.ts';
import { RocksDbStateBackend, type RocksDbStateOptions } from './rocksdb/rocksdb-state-backend.ts';

const MiB = 1024 * 1024;
let root: string;
const open: KeyedStateBackend[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sluice-state-test-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dbs = 0;
async function rocks(
  range: KeyGroupRange,
  o: Partial<RocksDbStateOptions> = {},
): Promise<RocksDbStateBackend> {
  const b = await RocksDbStateBackend.open(join(root, `db-${dbs++}`), range, { memoryBytes: 32 * MiB, ...o });
  open.push(b);
  return b;
}
async function heap(range: KeyGroupRange): Promise<HeapStateBackend> {
  const b = new HeapStateBackend(range);
  open.push(b);
  return b;
}

/** Decoded snapshot contents, order-insensitive: kg → uid/name/kind → sorted [key, value] with map values sorted. */
function contents(snap: Map<number, Uint8Array>): Record<string, Array<[string, unknown]>> {
  const out: Record<string, Array<[string, unknown]>> = {};
  for (const [kg, bytes] of snap) {
    for (const [uid, name, kind, entries] of decodePayload(bytes) as TableSnapshot[]) {
      const rows = entries.map(([k, v]): [string, unknown] => [
        k,
        kind === 'map'
          ? [...(v as Array<[unknown, unknown]>)].sort((a, b) => String(a[0]).localeCompare(String(b[0])))
          : v,
      ]);
      out[`${kg}/${uid}/${name}/${kind}`] = rows.sort((a, b) => a[0].localeCompare(b[0]));
    }
  }
  return out;
}

/** Fills a backend with value and map state over `n` keys of 128 key groups. */
function fill(b: KeyedStateBackend, n: number): void {
  const count = b.valueState<number>('op', 'count');
  const win = b.mapState<number | string, { s: string }>('win', 'windows');
  for (let i = 0; i < n; i++) {
    const k = `key-${i}`;
    b.setCurrentKey(k, keyGroupOf(k, 128));
    count.update(i);
    win.put(i % 7, { s: k });
    if (i % 3 === 0) win.put(`w${i % 5}`, { s: 'str' });
  }
}

describe.each([
  ['heap', heap],
  ['rocksdb', (r: KeyGroupRange) => rocks(r)],
] as const)('%s keyed-state backend', (_name, make) => {
  const range = { start: 10, end: 19 };

  it('scopes value state to the current key and table', async () => {
    const b = await make(range);
    const count = b.valueState<number>('op', 'count');
    const other = b.valueState<string>('op2', 'count');
    b.setCurrentKey('a', 10);
    expect(count.value()).toBeUndefined();
    count.update(1);
    other.update('x');
    b.setCurrentKey('b', 11);
    expect(count.value()).toBeUndefined();
    count.update(5);
    b.setCurrentKey('a', 12); // same key, another key group: another entry
    expect(count.value()).toBeUndefined();
    b.setCurrentKey('a', 10);
    expect(b.currentKey).toBe('a');
    expect(b.currentKeyGroup).toBe(10);
    expect(count.value()).toBe(1);
    expect(other.value()).toBe('x');
    count.clear();
    expect(count.value()).toBeUndefined();
    expect(other.value()).toBe('x');
    count.update(2);
    expect(count.value()).toBe(2);
    expect([...b.uids()].sort()).toEqual(['op', 'op2']);
  });

  it('implements map state get/put/has/remove/entries/size/clear', async () => {
    const b = await make(range);
    const m = b.mapState<string | number, string>('op', 'm');
    b.setCurrentKey('k', 15);
    expect(m.size()).toBe(0);
    m.put('x', 'X');
    m.put(1, 'one');
    m.put('1', 'string one');
    expect(m.get(1)).toBe('one');
    expect(m.get('1')).toBe('string one');
    expect(m.has('x')).toBe(true);
    expect(m.has('y')).toBe(false);
    expect(m.size()).toBe(3);
    m.remove('x');
    m.remove('absent');
    expect(m.has('x')).toBe(false);
    expect(new Map(m.entries())).toEqual(
      new Map<string | number, string>([
        [1, 'one'],
        ['1', 'string one'],
      ]),
    );
    b.setCurrentKey('j', 15);
    m.put(2.5, 'other key');
    expect(m.size()).toBe(1);
    b.setCurrentKey('k', 15);
    m.clear();
    expect(m.size()).toBe(0);
    expect(m.get(1)).toBeUndefined();
    m.put('after', 'clear');
    expect([...m.entries()]).toEqual([['after', 'clear']]);
    b.setCurrentKey('j', 15);
    expect([...m.entries()]).toEqual([[2.5, 'other key']]);
  });

  it('refuses keys of foreign key groups and kind mismatches', async () => {
    const b = await make(range);
    expect(() => b.setCurrentKey('k', 20)).toThrow(
      /key group 20 of key "k" is outside this worker's range 10..19/,
    );
    expect(() => b.setCurrentKey('k', 9)).toThrow(RangeError);
    b.valueState('op', 's');
    expect(() => b.mapState('op', 's')).toThrow(StateFormatError);
    expect(() => b.restoreGroup(10, [['op', 's', 'list' as 'value', []]])).toThrow(/unknown kind list/);
    expect(() => b.restoreGroup(10, [['op'] as unknown as TableSnapshot])).toThrow(/malformed/);
    expect(() => b.restoreGroup(3, [])).toThrow(RangeError);
  });

  it('visits a table with forEachEntry, map values as Maps', async () => {
    const b = await make(range);
    const v = b.valueState<number>('op', 'v');
    const m = b.mapState<number, string>('op', 'm');
    for (const [k, kg] of [
      ['a', 10],
      ['b', 19],
      ['c', 13],
    ] as const) {
      b.setCurrentKey(k, kg);
      v.update(kg);
      m.put(kg, k);
      m.put(kg + 1, k);
    }
    const values: Array<[number, string, unknown]> = [];
    b.forEachEntry('op', 'v', (kg, k, x) => values.push([kg, k, x]));
    expect(values.sort((x, y) => x[0] - y[0])).toEqual([
      [10, 'a', 10],
      [13, 'c', 13],
      [19, 'b', 19],
    ]);
    const maps: Array<[number, string, unknown]> = [];
    b.forEachEntry('op', 'm', (kg, k, x) => maps.push([kg, k, x]));
    expect(maps.sort((x, y) => x[0] - y[0])[1]).toEqual([
      13,
      'c',
      new Map([
        [13, 'c'],
        [14, 'c'],
      ]),
    ]);
    expect(maps).toHaveLength(3);
    b.forEachEntry('op', 'none', () => {
      throw new Error('no such table');
    });
  });

  it('snapshots per key group, unaffected by later writes, and restores into a split range', async () => {
    const b = await make({ start: 0, end: 127 });
    fill(b, 500);
    const snap = b.snapshot();
    expect([...snap.keys()]).toEqual([...snap.keys()].sort((x, y) => x - y));
    const before = contents(snap);
    b.setCurrentKey('key-1', keyGroupOf('key-1', 128));
    b.valueState<number>('op', 'count').update(-1);
    expect(contents(snap)).toEqual(before);

    const halves = [await make({ start: 0, end: 63 }), await make({ start: 64, end: 127 })];
    for (const [kg, bytes] of snap)
      halves[kg < 64 ? 0 : 1]!.restoreGroup(kg, decodePayload(bytes) as TableSnapshot[]);
    for (let i = 0; i < 500; i++) {
      const k = `key-${i}`;
      const kg = keyGroupOf(k, 128);
      const h = halves[kg < 64 ? 0 : 1]!;
      h.setCurrentKey(k, kg);
      expect(h.valueState<number>('op', 'count').value()).toBe(i);
      expect(h.mapState<number, { s: string }>('win', 'windows').get(i % 7)).toEqual({ s: k });
    }
    expect(contents(new Map([...halves[0]!.snapshot(), ...halves[1]!.snapshot()]))).toEqual(before);
    expect(halves[0]!.entryCount() + halves[1]!.entryCount()).toBeGreaterThan(0);
  });

  it('restoring a key replaces its entries (map state wholly)', async () => {
    const b = await make(range);
    const m = b.mapState<string, number>('op', 'm');
    b.setCurrentKey('k', 11);
    m.put('old', 1);
    b.valueState<number>('op', 'v').update(1);
    b.restoreGroup(11, [
      ['op', 'm', 'map', [['k', [['new', 2]]]]],
      ['op', 'v', 'value', [['k', 7]]],
    ]);
    b.setCurrentKey('k', 11);
    expect([...m.entries()]).toEqual([['new', 2]]);
    expect(b.valueState<number>('op', 'v').value()).toBe(7);
  });
});

describe('canonical format across backends', () => {
  const all = { start: 0, end: 127 };

  it('restores a heap snapshot into RocksDB and a RocksDB snapshot into the heap with equal contents', async () => {
    const h = await heap(all);
    fill(h, 2000);
    const heapSnap = h.snapshot();
    const r = await rocks(all);
    for (const [kg, bytes] of heapSnap) r.restoreGroup(kg, decodePayload(bytes) as TableSnapshot[]);
    const rocksSnap = r.snapshot();
    expect(contents(rocksSnap)).toEqual(contents(heapSnap));

    const h2 = await heap(all);
    for (const [kg, bytes] of rocksSnap) h2.restoreGroup(kg, decodePayload(bytes) as TableSnapshot[]);
    expect(contents(h2.snapshot())).toEqual(contents(heapSnap));
    expect(h2.entryCount()).toBe(h.entryCount());
  });
});

describe('RocksDB state backend', () => {
  const all = { start: 0, end: 127 };

  it('reads back 200k keys written through a 10k-entry write cache', async () => {
    const r = await rocks(all, { writeCacheEntries: 10_000, readCacheEntries: 1000 });
    const v = r.valueState<{ n: number }>('op', 'v');
    const m = r.mapState<number, number>('op', 'm');
    const N = 200_000;
    for (let i = 0; i < N; i++) {
      const k = `k${i}`;
      r.setCurrentKey(k, keyGroupOf(k, 128));
      v.update({ n: i });
      if (i % 10 === 0) m.put(i, -i);
    }
    for (let i = 0; i < N; i += 1) {
      const k = `k${i}`;
      r.setCurrentKey(k, keyGroupOf(k, 128));
      if (v.value()?.n !== i) throw new Error(`key ${k}: ${JSON.stringify(v.value())}`);
      if (i % 10 === 0 && m.get(i) !== -i) throw new Error(`map of ${k}`);
    }
    // Overwrites and deletes after a flush are visible and survive the next flush.
    r.setCurrentKey('k7', keyGroupOf('k7', 128));
    v.clear();
    await r.flush();
    expect(v.value()).toBeUndefined();
    const snap = r.snapshot();
    let values = 0;
    for (const bytes of snap.values())
      for (const t of decodePayload(bytes) as TableSnapshot[]) if (t[1] === 'v') values += t[3].length;
    expect(values).toBe(N - 1);
    expect(r.entryCount()).toBeGreaterThan(N / 2);
  }, 120_000);

  it('knows its tables when reopened from its files', async () => {
    const dir = join(root, 'reopen');
    const a = await RocksDbStateBackend.open(dir, all, { memoryBytes: 16 * MiB });
    a.setCurrentKey('x', 5);
    a.mapState<string, number>('op', 'm').put('u', 1);
    a.valueState<number>('op', 'v').update(3);
    const snap = a.snapshot();
    await a.close();
    const b = await RocksDbStateBackend.open(dir, all, { memoryBytes: 16 * MiB });
    open.push(b);
    expect([...b.uids()]).toEqual(['op']);
    expect(contents(b.snapshot())).toEqual(contents(snap));
    expect(() => b.valueState('op', 'm')).toThrow(StateFormatError);
  });
});
