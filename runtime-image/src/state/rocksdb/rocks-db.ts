/**
 * A typed, synchronous view of the parts of @nxtedition/rocksdb (RocksLevel, an abstract-level
 * database over RocksDB 9.7) the state backend uses. The per-record path of operators is
 * synchronous, so reads, batch writes, range deletes and iteration here are the binding's
 * synchronous calls (index.js `_getManySync`, chained-batch.js `_writeSync`, binding.cc
 * `db_clear` which runs DeleteRange, iterator.js `_nextvSync`).
 */
import { createRequire } from 'node:module';
import type { RocksMemoryOptions } from './memory-options.ts';
import { partitionIndexAndFilters } from './native-addon.ts';

/** The RocksLevel methods used here (the package ships no type declarations). */
export interface RocksLevelHandle {
  readonly status: string;
  readonly location: string;
  /** Address of the binding's Database struct (the native addon's handle, native-addon.ts). */
  readonly handle: bigint;
  open(options: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
  getProperty(name: string): string;
  _getManySync(keys: Buffer[], options?: Record<string, unknown>): Array<Buffer | undefined | null>;
  _chainedBatch(): {
    _put(key: Buffer, value: Buffer): void;
    _del(key: Buffer): void;
    _writeSync(options?: Record<string, unknown>): void;
    _closeSync(): void;
  };
  iterator(options: Record<string, unknown>): {
    _nextvSync(size: number, options: Record<string, unknown>): { rows: Buffer[]; finished: boolean };
    _closeSync(): void;
  };
}

const require = createRequire(import.meta.url);
const { RocksLevel } = require('@nxtedition/rocksdb') as {
  RocksLevel: new (location: string, options: Record<string, unknown>) => RocksLevelHandle;
};
const binding = require('@nxtedition/rocksdb/binding.js') as {
  db_clear(context: unknown, options: { gte: Buffer; lt: Buffer }): void;
};

/** The binding's database context, which RocksLevel keeps under a private symbol (index.js kContext). */
function contextOf(level: RocksLevelHandle): unknown {
  const sym = Object.getOwnPropertySymbols(level).find((s) => s.description === 'context');
  if (!sym) throw new Error('@nxtedition/rocksdb: RocksLevel has no context symbol (unsupported version)');
  return (level as unknown as Record<symbol, unknown>)[sym];
}

/** Rows per synchronous iterator step. */
const SCAN_BATCH = 1000;

/** One write batch: puts and deletes applied atomically by write(). */
export interface WriteBatch {
  put(key: Buffer, value: Buffer): void;
  del(key: Buffer): void;
}

/** An open RocksDB database with synchronous access. */
export class RocksDb {
  /** The underlying RocksLevel (for the checkpoint code, rocksdb/native-checkpoint.ts). */
  readonly level: RocksLevelHandle;

  /** Directory of the database. */
  readonly location: string;
  private readonly context: unknown;
  private closed = false;

  private constructor(level: RocksLevelHandle) {
    this.level = level;
    this.location = level.location;
    this.context = contextOf(level);
  }

  /**
   * Opens (creating if missing) the database in `dir`, with partitioned index and filter blocks
   * for the files it writes (native-addon.ts partitionIndexAndFilters).
   * @throws the binding's error (e.g. code LEVEL_LOCKED when another process holds the
   *   directory), or the addon's (not built: run `make native`); the database is closed then
   */
  static async open(dir: string, memory: RocksMemoryOptions): Promise<RocksDb> {
    const level = new RocksLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await level.open({ createIfMissing: true, ...memory });
    try {
      partitionIndexAndFilters(level);
    } catch (err) {
      await level.close();
      throw err;
    }
    return new RocksDb(level);
  }

  /** Values of `keys` (undefined where absent), read synchronously with one MultiGet. */
  getMany(keys: Buffer[]): Array<Buffer | undefined> {
    this.check();
    const out = this.level._getManySync(keys);
    for (const v of out) if (v === null) throw new Error('RocksDB read aborted or timed out');
    return out as Array<Buffer | undefined>;
  }

  /** Applies `fill`'s puts and deletes as one synchronous write. */
  write(fill: (batch: WriteBatch) => void): void {
    this.check();
    const b = this.level._chainedBatch();
    try {
      fill({ put: (k, v) => b._put(k, v), del: (k) => b._del(k) });
      b._writeSync();
    } finally {
      b._closeSync();
    }
  }

  /** Deletes every key in [gte, lt) with one range tombstone, synchronously. */
  deleteRange(gte: Buffer, lt: Buffer): void {
    // index.js _clear calls binding.db_clear (DeleteRange, synchronous) but reports its error on
    // the next tick; calling the binding directly makes a failure throw here.
    this.check();
    binding.db_clear(this.context, { gte, lt });
  }

  /**
   * Visits the rows in [gte, lt) in key order, synchronously. The visitor must not write.
   * @param keysOnly skip reading values (visit gets an empty Buffer)
   */
  scan(gte: Buffer, lt: Buffer, visit: (key: Buffer, value: Buffer) => void, keysOnly = false): void {
    this.check();
    const it = this.level.iterator({ gte, lt, keys: true, values: !keysOnly });
    try {
      const empty = Buffer.alloc(0);
      for (;;) {
        const { rows, finished } = it._nextvSync(SCAN_BATCH, {});
        // rows alternate key, value (undefined when values are skipped).
        for (let i = 0; i < rows.length; i += 2) visit(rows[i]!, rows[i + 1] ?? empty);
        if (finished) break;
      }
    } finally {
      it._closeSync();
    }
  }

  /** Whether any row lies in [gte, lt). */
  hasAny(gte: Buffer, lt: Buffer): boolean {
    this.check();
    const it = this.level.iterator({ gte, lt, keys: true, values: false, limit: 1 });
    try {
      return it._nextvSync(1, {}).rows.length > 0;
    } finally {
      it._closeSync();
    }
  }

  /** A RocksDB property (e.g. `rocksdb.estimate-num-keys`) as a string; '' when unknown. */
  property(name: string): string {
    this.check();
    return this.level.getProperty(name);
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the database; later calls throw instead of reaching a closed native handle. */
  close(): Promise<void> {
    this.closed = true;
    return this.level.close();
  }

  /** @throws Error when the database was closed */
  private check(): void {
    if (this.closed) throw new Error(`RocksDB state in ${this.location} is closed`);
  }
}
