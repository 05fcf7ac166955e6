/**
 * The write-back cache of the RocksDB state backend (docs/state.md "Write cache"): state updates
 * go to bounded in-memory maps that reads consult before RocksDB, and are written to RocksDB as
 * one batch when a bound is exceeded and before every snapshot. Values are kept as given and
 * msgpack-encoded only when flushed: a key updated many times between flushes is encoded once
 * (the profile of the per-record path showed encoding at every update as its largest cost). The
 * byte bound therefore counts an estimate of each value's size ({@link approxValueBytes}).
 *
 * Entries are keyed by `cacheId(tableId, keyGroup, key)`, a JS string whose first two UTF-16 code
 * units are the table id and the key group (both < 2^16) followed by the state key — cheaper to
 * build per record than a RocksDB row key.
 */
import { mapEntryRow, prefixEnd, stateKeyRow } from './key-layout.ts';
import type { RocksDb } from './rocks-db.ts';
import { encodeValue } from './value-codec.ts';

/** A cached write: the value, or a deletion. */
export interface CachedWrite {
  value: unknown;
  deleted: boolean;
}

/** Pending writes of one key's map state. */
export interface MapWrites {
  /** The whole map was cleared: RocksDB rows of the key are range-deleted before `entries` are written. */
  cleared: boolean;
  entries: Map<string | number, CachedWrite>;
}

/** Write-cache bounds (whichever is exceeded first triggers a flush). */
export interface WriteCacheBounds {
  /** Entries (value-state keys plus map-state user keys). */
  maxEntries: number;
  /** Approximate bytes (encoded values plus keys). */
  maxBytes: number;
}

/** A deletion marker. */
export const DELETED: CachedWrite = Object.freeze({ value: undefined, deleted: true });

/** A cached put of `value`. */
export function put(value: unknown): CachedWrite {
  return { value, deleted: false };
}

/** Fixed per-entry overhead counted against maxBytes (Map slot, object headers), bytes. */
const ENTRY_OVERHEAD = 48;

/** The cache id of `key` in table `tableId`, key group `keyGroup`. */
export function cacheId(tableId: number, keyGroup: number, key: string): string {
  return String.fromCharCode(tableId, keyGroup) + key;
}

/** Inverse of cacheId. */
function parseCacheId(id: string): { tableId: number; keyGroup: number; key: string } {
  return { tableId: id.charCodeAt(0), keyGroup: id.charCodeAt(1), key: id.slice(2) };
}

/** The bounded write-back cache (module comment). */
export class WriteCache {
  /** Value state: cache id → write. */
  readonly values = new Map<string, CachedWrite>();
  /** Map state: cache id → the key's pending map writes. */
  readonly maps = new Map<string, MapWrites>();
  private entries = 0;
  private bytes = 0;
  private readonly bounds: WriteCacheBounds;

  constructor(bounds: WriteCacheBounds) {
    this.bounds = bounds;
  }

  /** Number of cached writes (value keys plus map user keys). */
  get size(): number {
    return this.entries;
  }

  /** Whether a bound is exceeded (the owner then flushes). */
  get full(): boolean {
    return this.entries > this.bounds.maxEntries || this.bytes > this.bounds.maxBytes;
  }

  /** Records a value-state write (`w` = DELETED for a clear). */
  setValue(id: string, w: CachedWrite): void {
    const prev = this.values.get(id);
    if (prev) this.bytes -= weight(id, prev);
    else this.entries++;
    this.values.set(id, w);
    this.bytes += weight(id, w);
  }

  /** The pending writes of a key's map state, created empty if `create`. */
  mapWrites(id: string, create: boolean): MapWrites | undefined {
    let m = this.maps.get(id);
    if (!m && create) this.maps.set(id, (m = { cleared: false, entries: new Map() }));
    return m;
  }

  /** Records a map-state write of user key `uk` (`w` = DELETED for a removal). */
  setMapEntry(m: MapWrites, id: string, uk: string | number, w: CachedWrite): void {
    const prev = m.entries.get(uk);
    if (prev) {
      this.bytes -= weight(id, prev);
      this.entries--;
      m.entries.delete(uk);
    }
    // Below a cleared map there is nothing to delete.
    if (w === DELETED && m.cleared) return;
    m.entries.set(uk, w);
    this.entries++;
    this.bytes += weight(id, w);
  }

  /** Records a clear of a key's map state: its pending entries are dropped, its rows deleted at flush. */
  clearMap(id: string): void {
    const m = this.mapWrites(id, true)!;
    for (const w of m.entries.values()) this.bytes -= weight(id, w);
    this.entries -= m.entries.size;
    m.entries.clear();
    m.cleared = true;
  }

  /**
   * Writes every cached write to `db` synchronously — range deletes of cleared maps first, then
   * one batch — and empties the cache.
   * @param onValue called for each flushed value-state write (to fill a read cache)
   * @throws the binding's error; the cache is left unchanged then
   */
  flush(db: RocksDb, onValue?: (id: string, w: CachedWrite) => void): void {
    if (this.values.size === 0 && this.maps.size === 0) return;
    for (const [id, m] of this.maps) {
      if (!m.cleared) continue;
      const { tableId, keyGroup, key } = parseCacheId(id);
      const start = stateKeyRow(keyGroup, tableId, key);
      db.deleteRange(start, prefixEnd(start));
    }
    db.write((batch) => {
      for (const [id, w] of this.values) {
        const { tableId, keyGroup, key } = parseCacheId(id);
        const row = stateKeyRow(keyGroup, tableId, key);
        if (!w.deleted) batch.put(row, encodeValue(w.value));
        else batch.del(row);
      }
      for (const [id, m] of this.maps) {
        const { tableId, keyGroup, key } = parseCacheId(id);
        for (const [uk, w] of m.entries) {
          const row = mapEntryRow(keyGroup, tableId, key, uk);
          if (!w.deleted) batch.put(row, encodeValue(w.value));
          else if (!m.cleared) batch.del(row);
        }
      }
    });
    if (onValue) for (const [id, w] of this.values) onValue(id, w);
    this.values.clear();
    this.maps.clear();
    this.entries = 0;
    this.bytes = 0;
  }
}

function weight(id: string, w: CachedWrite): number {
  return ENTRY_OVERHEAD + 2 * id.length + (w.deleted ? 0 : approxValueBytes(w.value));
}

/**
 * A cheap estimate of a value's size in bytes, for the write cache's byte bound: exact enough for
 * numbers, strings and flat arrays/objects of them; nested containers count 64 bytes each.
 */
export function approxValueBytes(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return 9;
    case 'string':
      return 5 + v.length * 2;
    case 'object': {
      if (v === null) return 1;
      let n = 16;
      if (Array.isArray(v))
        for (const x of v) n += typeof x === 'object' && x !== null ? 64 : approxValueBytes(x);
      else
        for (const k in v as Record<string, unknown>) {
          const x = (v as Record<string, unknown>)[k];
          n += 5 + k.length * 2 + (typeof x === 'object' && x !== null ? 64 : approxValueBytes(x));
        }
      return n;
    }
    default:
      return 1;
  }
}
