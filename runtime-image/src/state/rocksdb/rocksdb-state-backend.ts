/**
 * Keyed state in a local RocksDB (docs/state.md), so state can exceed memory. Implements
 * KeyedStateBackend with the same semantics as the heap backend; snapshots are the canonical
 * per-key-group payloads (keyed-state-backend.ts), so a savepoint restores into either backend.
 *
 * - Row keys: rocksdb/key-layout.ts (key group first; table ids from a registry in the DB).
 * - Writes go to a bounded write-back cache (rocksdb/write-cache.ts) flushed as one synchronous
 *   batch when a bound is exceeded and before every snapshot; reads consult it first. All
 *   RocksDB calls are synchronous, so no read can see a half-applied flush.
 * - A bounded read cache keeps recently read or flushed value-state entries (FIFO eviction).
 * - Native memory: memory-options.ts splits `memoryBytes` into block cache and write buffers.
 *
 * Values read from state are shared with the caches: an operator that mutates a value must write
 * it back with update()/put() (as with Flink's RocksDB backend), or the change may be lost.
 */
import type { MapState, ValueState } from '../../api/types.ts';
import { inRange, intersect, type KeyGroupRange } from '../../core/keygroups.ts';
import {
  StateFormatError,
  checkRestoreArgs,
  checkTableSnapshot,
  foreignKeyGroupError,
  type CanonicalPayloadStream,
  type KeyedStateBackend,
  type StateKind,
  type TableSnapshot,
} from '../keyed-state-backend.ts';
import {
  MAX_TABLE_ID,
  REGISTRY_PREFIX,
  decodeRegistryRow,
  mapEntryRow,
  prefixEnd,
  registryRow,
  stateKeyRow,
  tablePrefix,
  type TableInfo,
} from './key-layout.ts';
import { rocksMemoryOptions } from './memory-options.ts';
import { RocksDb, type RocksLevelHandle } from './rocks-db.ts';
import { rocksMapState } from './rocksdb-map-state.ts';
import { canonicalPayloadStream } from './canonical-stream.ts';
import { canonicalPayloads, visitTable } from './table-scan.ts';
import { decodeValue, encodeValue } from './value-codec.ts';
import { DELETED, WriteCache, cacheId, put, type CachedWrite } from './write-cache.ts';

/** Options of a RocksDB state backend. */
export interface RocksDbStateOptions {
  /** Native memory budget for block cache + write buffers, bytes (memory-options.ts). */
  memoryBytes: number;
  /** Write-cache bound in entries (default 10 000). */
  writeCacheEntries?: number;
  /** Write-cache bound in bytes (default 16 MiB). */
  writeCacheBytes?: number;
  /** Read-cache bound in value-state entries (default 10 000; 0 disables it). */
  readCacheEntries?: number;
}

/** Default write-cache bound, entries. */
export const DEFAULT_WRITE_CACHE_ENTRIES = 10_000;
/** Default write-cache bound, bytes. */
export const DEFAULT_WRITE_CACHE_BYTES = 16 * 1024 * 1024;
/** Default read-cache bound, entries. */
export const DEFAULT_READ_CACHE_ENTRIES = 10_000;
/** Rows per write batch when restoring. */
const RESTORE_BATCH_ROWS = 10_000;

/** Value-state read-cache marker of a key known to be absent. */
const ABSENT = Symbol('absent');

/** Keyed state in RocksDB (module comment). */
export class RocksDbStateBackend implements KeyedStateBackend {
  readonly range: KeyGroupRange;
  private readonly rocks: RocksDb;
  private readonly tables = new Map<string, TableInfo>();
  private readonly tablesById = new Map<number, TableInfo>();
  private readonly cache: WriteCache;
  private readonly readCache = new Map<string, unknown>();
  private readonly readCacheEntries: number;
  private key = '';
  private keyGroup = -1;
  private closed = false;
  /** RocksDB's row estimate as last read (entryCount after close reports it). */
  private lastEstimate = 0;

  private constructor(rocks: RocksDb, range: KeyGroupRange, options: RocksDbStateOptions) {
    this.rocks = rocks;
    this.range = range;
    this.cache = new WriteCache({
      maxEntries: options.writeCacheEntries ?? DEFAULT_WRITE_CACHE_ENTRIES,
      maxBytes: options.writeCacheBytes ?? DEFAULT_WRITE_CACHE_BYTES,
    });
    this.readCacheEntries = options.readCacheEntries ?? DEFAULT_READ_CACHE_ENTRIES;
  }

  /**
   * Opens (creating if missing) a RocksDB in `dir` and loads its table registry, so a DB
   * restored from files knows its tables.
   * @throws RangeError for a memory budget below memory-options.ts MIN_MEMORY_BYTES; the
   *   binding's error when RocksDB cannot open `dir` (e.g. code LEVEL_LOCKED)
   */
  static async open(
    dir: string,
    range: KeyGroupRange,
    options: RocksDbStateOptions,
  ): Promise<RocksDbStateBackend> {
    const rocks = await RocksDb.open(dir, rocksMemoryOptions(options.memoryBytes));
    const b = new RocksDbStateBackend(rocks, range, options);
    try {
      rocks.scan(REGISTRY_PREFIX, prefixEnd(REGISTRY_PREFIX), (k, v) => {
        const [uid, name, kind] = decodeValue(v) as [string, string, StateKind];
        b.register({ id: decodeRegistryRow(k), uid, name, kind });
      });
    } catch (err) {
      await rocks.close();
      throw err;
    }
    return b;
  }

  /** The open RocksLevel (for checkpoints: rocksdb/native-checkpoint.ts). Call flush() first. */
  get db(): RocksLevelHandle {
    return this.rocks.level;
  }

  /** Directory of the database. */
  get location(): string {
    return this.rocks.location;
  }

  setCurrentKey(key: string, keyGroup: number): void {
    if (!inRange(this.range, keyGroup)) throw foreignKeyGroupError(this.range, key, keyGroup);
    this.key = key;
    this.keyGroup = keyGroup;
  }

  get currentKey(): string {
    return this.key;
  }

  get currentKeyGroup(): number {
    return this.keyGroup;
  }

  private register(t: TableInfo): void {
    this.tables.set(`${t.uid}\u0000${t.name}`, t);
    this.tablesById.set(t.id, t);
  }

  private table(uid: string, name: string, kind: StateKind): TableInfo {
    let t = this.tables.get(`${uid}\u0000${name}`);
    if (t) {
      if (t.kind !== kind)
        throw new StateFormatError(`state ${uid}/${name} is a ${t.kind} state, requested as ${kind} state`);
      return t;
    }
    let id = 0;
    while (this.tablesById.has(id)) id++;
    if (id > MAX_TABLE_ID) throw new StateFormatError(`more than ${MAX_TABLE_ID + 1} state tables`);
    t = { id, uid, name, kind };
    const entry = encodeValue([uid, name, kind]);
    this.rocks.write((batch) => batch.put(registryRow(id), entry));
    this.register(t);
    return t;
  }

  /** Makes room in the read cache and stores `value` (ABSENT for a missing key). */
  private remember(id: string, value: unknown): void {
    if (this.readCacheEntries <= 0) return;
    if (this.readCache.size >= this.readCacheEntries && !this.readCache.has(id)) {
      this.readCache.delete(this.readCache.keys().next().value!);
    }
    this.readCache.set(id, value);
  }

  /** Records a write and flushes when the write cache is over a bound. */
  private written(): void {
    if (this.closed) throw new Error(`RocksDB state in ${this.location} is closed`);
    if (this.cache.full) this.flushSync();
  }

  valueState<T>(uid: string, name: string): ValueState<T> {
    const t = this.table(uid, name, 'value');
    const read = (): T | undefined => {
      const id = cacheId(t.id, this.keyGroup, this.key);
      const w = this.cache.values.get(id);
      if (w) return w.value as T | undefined;
      const c = this.readCache.get(id);
      if (c !== undefined) return c === ABSENT ? undefined : (c as T);
      const [bytes] = this.rocks.getMany([stateKeyRow(this.keyGroup, t.id, this.key)]);
      const v = bytes ? (decodeValue(bytes) as T) : undefined;
      this.remember(id, bytes ? v : ABSENT);
      return v;
    };
    return {
      value: read,
      update: (v: T) => {
        const id = cacheId(t.id, this.keyGroup, this.key);
        this.cache.setValue(id, put(v));
        this.written();
      },
      clear: () => {
        this.cache.setValue(cacheId(t.id, this.keyGroup, this.key), DELETED);
        this.written();
      },
    };
  }

  mapState<K extends string | number, V>(uid: string, name: string): MapState<K, V> {
    const t = this.table(uid, name, 'map');
    return rocksMapState<K, V>({
      cache: this.cache,
      id: () => cacheId(t.id, this.keyGroup, this.key),
      row: (uk) => mapEntryRow(this.keyGroup, t.id, this.key, uk),
      keyRow: () => stateKeyRow(this.keyGroup, t.id, this.key),
      rocks: this.rocks,
      written: () => this.written(),
    });
  }

  forEachEntry(
    uid: string,
    name: string,
    visit: (keyGroup: number, key: string, value: unknown) => void,
  ): void {
    const t = this.tables.get(`${uid}\u0000${name}`);
    if (!t) return;
    this.flushSync();
    visitTable(this.rocks, this.range, t, visit);
  }

  /**
   * Approximate number of state rows, for metrics: RocksDB's `rocksdb.estimate-num-keys` (rows in
   * memtables and SST files, where overwritten and deleted rows may still count until compaction)
   * minus the table registry, plus the writes in the write cache (which may overwrite counted
   * rows). A row is a value-state key or one user key of a map state, so a map with n entries
   * counts n (the heap backend counts it once). Cheap: one property read. After close(): the last
   * estimate.
   */
  entryCount(): number {
    if (!this.rocks.isClosed) {
      const est = Number(this.rocks.property('rocksdb.estimate-num-keys')) || 0;
      this.lastEstimate = Math.max(0, est - this.tablesById.size);
    }
    return this.lastEstimate + this.cache.size;
  }

  /** Flushes the write cache, then reads the range into canonical payloads (table-scan.ts), synchronously. */
  snapshot(): Map<number, Uint8Array> {
    return this.snapshotRange(this.range);
  }

  /**
   * Flushes the write cache and opens a lazy stream of the canonical payloads of the whole range
   * as of now (canonical-stream.ts), synchronously: call it at the barrier; later writes are not
   * in the stream. Release it if it is not consumed to its end.
   * @throws Error when the backend is closed
   */
  snapshotStream(): CanonicalPayloadStream {
    this.flushSync();
    return canonicalPayloadStream(this.rocks, this.range, this.tablesById);
  }

  /**
   * Canonical payloads of the key groups of `range` only (within the backend's range), so a
   * caller can copy a large database one key group at a time (a rescaling restore).
   */
  snapshotRange(range: KeyGroupRange): Map<number, Uint8Array> {
    this.flushSync();
    return canonicalPayloads(this.rocks, intersect(this.range, range), this.tablesById);
  }

  restoreGroup(keyGroup: number, tables: TableSnapshot[]): void {
    checkRestoreArgs(this.range, keyGroup, tables);
    for (const entry of tables) checkTableSnapshot(keyGroup, entry);
    this.flushSync();
    this.readCache.clear();
    for (const [uid, name, kind, entries] of tables) {
      const t = this.table(uid, name, kind);
      const start = tablePrefix(keyGroup, t.id);
      // Replacing keys that already have rows: a map key's old user keys must go first.
      const existing = kind === 'map' && this.rocks.hasAny(start, prefixEnd(start));
      for (let i = 0; i < entries.length;) {
        const end = Math.min(entries.length, i + RESTORE_BATCH_ROWS);
        const chunk = entries.slice(i, end);
        i = end;
        if (existing) {
          for (const [k] of chunk) {
            const p = stateKeyRow(keyGroup, t.id, k);
            this.rocks.deleteRange(p, prefixEnd(p));
          }
        }
        this.rocks.write((batch) => {
          for (const [k, v] of chunk) {
            if (kind === 'value') {
              batch.put(stateKeyRow(keyGroup, t.id, k), encodeValue(v));
              continue;
            }
            if (!Array.isArray(v))
              throw new StateFormatError(`state ${uid}/${name}: map value of a key is not a list`);
            for (const [uk, uv] of v as Array<[string | number, unknown]>) {
              batch.put(mapEntryRow(keyGroup, t.id, k, uk), encodeValue(uv));
            }
          }
        });
      }
    }
  }

  uids(): Set<string> {
    return new Set([...this.tables.values()].map((t) => t.uid));
  }

  /** Writes the write cache to RocksDB, synchronously; flushed value entries stay readable in the read cache. */
  flushSync(): void {
    this.cache.flush(this.rocks, (id, w: CachedWrite) => this.remember(id, w.deleted ? ABSENT : w.value));
  }

  /** Writes the write cache to RocksDB (for checkpoint code that then reads the DB's files). */
  flush(): Promise<void> {
    this.flushSync();
    return Promise.resolve();
  }

  /** Flushes the write cache and closes the database (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flushSync();
    } finally {
      this.readCache.clear();
      await this.rocks.close();
    }
  }
}
