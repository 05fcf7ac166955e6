/**
 * canonical-stream.ts on a real RocksDB: the stream opened at the barrier yields the state as of
 * the barrier although writes (overwrites, new keys, deletes, a range delete, flushes of the
 * write cache and of memtables) happen after it and while it is being consumed, key group by
 * key group, and it equals the synchronous snapshot taken at the barrier.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePayload } from '../../checkpoint/snapshot-codec.ts';
import { keyGroupOf } from '../../core/keygroups.ts';
import type { TableSnapshot } from '../keyed-state-backend.ts';
import { RocksDbStateBackend } from './rocksdb-state-backend.ts';

const range = { start: 0, end: 127 };
let root: string;
let b: RocksDbStateBackend;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'sluice-canonical-stream-'));
  // A small write cache, so the writes after the barrier reach RocksDB while the stream is read.
  b = await RocksDbStateBackend.open(join(root, 'db'), range, {
    memoryBytes: 32 << 20,
    writeCacheEntries: 100,
  });
});
afterEach(async () => {
  await b.close();
  rmSync(root, { recursive: true, force: true });
});

function put(key: string, v: number, uk: string): void {
  b.setCurrentKey(key, keyGroupOf(key, 128));
  b.valueState<number>('op', 'v').update(v);
  b.mapState<string, number>('op', 'm').put(uk, v);
}

async function drain(s: AsyncIterable<[number, Uint8Array]>): Promise<Map<number, Uint8Array>> {
  const out = new Map<number, Uint8Array>();
  for await (const [kg, p] of s) out.set(kg, p);
  return out;
}

function decoded(m: Map<number, Uint8Array>): Array<[number, TableSnapshot[]]> {
  return [...m].map(([kg, p]) => [kg, decodePayload(p) as TableSnapshot[]]);
}

describe('canonicalPayloadStream', () => {
  it('yields the state at the barrier while writes continue during consumption', async () => {
    for (let i = 0; i < 5000; i++) put(`k${i}`, i, 'a');
    const atBarrier = b.snapshot();
    const stream = b.snapshotStream();
    // Before the first read: overwrite every key, add keys, and flush the write cache into RocksDB.
    for (let i = 0; i < 5000; i++) put(`k${i}`, -i, 'b');
    for (let i = 5000; i < 6000; i++) put(`k${i}`, i, 'a');
    b.flushSync();
    const seen = new Map<number, Uint8Array>();
    let writes = 0;
    for await (const [kg, p] of stream) {
      seen.set(kg, p);
      // Between key groups: more writes, deletes included, and a new table.
      for (let j = 0; j < 20; j++, writes++) {
        const key = `k${writes % 5000}`;
        b.setCurrentKey(key, keyGroupOf(key, 128));
        b.valueState<number>('op', 'v').clear();
        b.valueState<string>('op', 'late').update('x');
      }
    }
    expect(writes).toBeGreaterThan(1000);
    expect(seen.size).toBe(128);
    expect([...seen.keys()]).toEqual([...seen.keys()].sort((x, y) => x - y));
    expect(decoded(seen)).toEqual(decoded(atBarrier));
    // The backend itself has the later state.
    b.setCurrentKey('k1', keyGroupOf('k1', 128));
    expect(b.valueState<number>('op', 'v').value()).toBeUndefined();
    expect(b.mapState<string, number>('op', 'm').get('b')).toBe(-1);
  });

  it('includes the writes still in the write cache at the barrier', async () => {
    put('only', 7, 'u');
    const got = decoded(await drain(b.snapshotStream()));
    expect(got).toEqual([
      [
        keyGroupOf('only', 128),
        [
          ['op', 'v', 'value', [['only', 7]]],
          ['op', 'm', 'map', [['only', [['u', 7]]]]],
        ],
      ],
    ]);
  });

  it('can be released unread, and fails instead of reading a closed database', async () => {
    put('a', 1, 'u');
    const released = b.snapshotStream();
    released.release();
    released.release();
    await expect(drain(released)).rejects.toThrow(/released before its end/);
    const orphan = b.snapshotStream();
    await b.close();
    await expect(drain(orphan)).rejects.toThrow();
  });
});
