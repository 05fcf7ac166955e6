/**
 * MapState of the RocksDB state backend for the current key: one RocksDB row per user key
 * (key-layout.ts), writes through the write cache (write-cache.ts). get/has read the write cache,
 * then RocksDB (one synchronous MultiGet); entries() and size() scan the key's row prefix and merge
 * the pending writes; clear() drops the pending writes and range-deletes the key's rows at flush.
 */
import type { MapState } from '../../api/types.ts';
import { decodeRow, prefixEnd } from './key-layout.ts';
import type { RocksDb } from './rocks-db.ts';
import { decodeValue } from './value-codec.ts';
import { DELETED, put, type MapWrites, type WriteCache } from './write-cache.ts';

/** What a map-state handle needs from its backend (all functions read the current key). */
export interface MapStateAccess {
  cache: WriteCache;
  rocks: RocksDb;
  /** Write-cache id of the current key. */
  id(): string;
  /** Row key of user key `uk` of the current key. */
  row(uk: string | number): Buffer;
  /** Row prefix of the current key (every user key's row starts with it). */
  keyRow(): Buffer;
  /** Called after each write (flushes when the cache is over a bound). */
  written(): void;
}

/** A MapState handle over RocksDB (module comment). */
export function rocksMapState<K extends string | number, V>(a: MapStateAccess): MapState<K, V> {
  const pending = (): MapWrites | undefined => a.cache.mapWrites(a.id(), false);
  /** The current value of `uk`: pending write, else RocksDB. */
  const lookup = (uk: K): { found: boolean; value: V | undefined } => {
    const m = pending();
    const w = m?.entries.get(uk);
    if (w) return { found: !w.deleted, value: w.value as V | undefined };
    if (m?.cleared) return { found: false, value: undefined };
    const [bytes] = a.rocks.getMany([a.row(uk)]);
    return bytes ? { found: true, value: decodeValue(bytes) as V } : { found: false, value: undefined };
  };
  /** Visits the stored user keys not shadowed by pending writes, then the pending puts. */
  const scan = (visit: (uk: K, value: () => V) => void, keysOnly: boolean): void => {
    const m = pending();
    if (!m?.cleared) {
      const start = a.keyRow();
      a.rocks.scan(
        start,
        prefixEnd(start),
        (k, v) => {
          const uk = decodeRow(k, true).userKey as K;
          if (!m?.entries.has(uk)) visit(uk, () => decodeValue(v) as V);
        },
        keysOnly,
      );
    }
    if (m) for (const [uk, w] of m.entries) if (!w.deleted) visit(uk as K, () => w.value as V);
  };
  return {
    get: (uk) => lookup(uk).value,
    has: (uk) => lookup(uk).found,
    put: (uk, v) => {
      const id = a.id();
      a.cache.setMapEntry(a.cache.mapWrites(id, true)!, id, uk, put(v));
      a.written();
    },
    remove: (uk) => {
      const id = a.id();
      a.cache.setMapEntry(a.cache.mapWrites(id, true)!, id, uk, DELETED);
      a.written();
    },
    entries: () => {
      const out: Array<[K, V]> = [];
      scan((uk, value) => out.push([uk, value()]), false);
      return out.values();
    },
    size: () => {
      let n = 0;
      scan(() => n++, true);
      return n;
    },
    clear: () => {
      a.cache.clearMap(a.id());
      a.written();
    },
  };
}
