/**
 * The keyed-state backend of one stage on one worker, and the types both implementations share
 * (heap-state-backend.ts keeps state in the JS heap, rocksdb/rocksdb-state-backend.ts in a local
 * RocksDB; docs/state.md).
 *
 * Every state table is identified by (operator uid, state name) and partitioned by key group, so
 * a snapshot is written (and a rescaled restore read) one key group at a time. The task sets the
 * current key before calling an operator; ValueState/MapState handles read and write the entry of
 * that key.
 *
 * Canonical snapshot payload of one key group (msgpack, see checkpoint/snapshot-codec.ts), format
 * version 1 — the savepoint format: both backends write and read it, so a snapshot taken with one
 * restores into the other:
 *   Array<[uid: string, name: string, kind: 'value' | 'map', entries: Array<[key: string, value]>]>
 * where a map state's value is Array<[userKey: string | number, userValue]>. The order of tables
 * and of entries within a table is not significant.
 */
import type { MapState, ValueState } from '../api/types.ts';
import type { KeyGroupRange } from '../core/keygroups.ts';

/** Kind of a state table. */
export type StateKind = 'value' | 'map';

/** One table's part of a key-group payload (see the module comment). */
export type TableSnapshot = [uid: string, name: string, kind: StateKind, entries: Array<[string, unknown]>];

/** A key-group payload, or a state table's kind, could not be understood. */
export class StateFormatError extends Error {
  override name = 'StateFormatError';
}

/**
 * Canonical payloads (module comment) produced lazily, one key group at a time in ascending
 * key-group order, as of the moment the stream was created (e.g. a RocksDB iterator opened at
 * the barrier), so a snapshot of state larger than memory can be written piece by piece.
 */
export interface CanonicalPayloadStream extends AsyncIterable<[keyGroup: number, payload: Uint8Array]> {
  /**
   * Releases what the stream holds (e.g. a RocksDB iterator pinning the barrier's view) when it
   * is not consumed to its end; idempotent, and harmless after the end.
   */
  release(): void;
}

/** Keyed state of one stage on one worker. */
export interface KeyedStateBackend {
  /** The key groups this backend holds (the worker's range). */
  readonly range: KeyGroupRange;

  /**
   * Sets the key that state handles read and write.
   * @param keyGroup key group of `key`; must lie in `range`
   * @throws RangeError when it does not (a record was routed to the wrong worker)
   */
  setCurrentKey(key: string, keyGroup: number): void;

  /** The current key. */
  readonly currentKey: string;

  /** The current key group. */
  readonly currentKeyGroup: number;

  /** A handle on value state `name` of operator `uid`. @throws StateFormatError if it exists as map state */
  valueState<T>(uid: string, name: string): ValueState<T>;

  /** A handle on map state `name` of operator `uid`. @throws StateFormatError if it exists as value state */
  mapState<K extends string | number, V>(uid: string, name: string): MapState<K, V>;

  /**
   * Visits every (key group, key, value) of a table; used by operators to rebuild in-memory
   * indexes after a restore. Map-state values are visited as Map objects. The visitor must not
   * change state.
   */
  forEachEntry(
    uid: string,
    name: string,
    visit: (keyGroup: number, key: string, value: unknown) => void,
  ): void;

  /**
   * Number of state entries, for metrics (called about once a second, so it is cheap). Exact for
   * the heap backend (keys across tables); an estimate for RocksDB (see its docstring).
   */
  entryCount(): number;

  /**
   * Captures the state synchronously, one canonical payload per non-empty key group (module
   * comment), in ascending key-group order. Later mutations do not affect the result.
   * @returns key group → msgpack payload bytes
   */
  snapshot(): Map<number, Uint8Array>;

  /**
   * Loads tables of one key group from a decoded canonical payload (replacing entries with the
   * same key).
   * @throws StateFormatError when the payload is malformed, RangeError when the group is not ours
   */
  restoreGroup(keyGroup: number, tables: TableSnapshot[]): void;

  /** The operator uids that have tables. */
  uids(): Set<string>;

  /** Releases the backend's resources (files stay where they are); the backend is unusable after. */
  close(): Promise<void>;
}

/**
 * Validates one decoded table entry of a canonical payload.
 * @throws StateFormatError naming the key group when it is malformed or of an unknown kind
 */
export function checkTableSnapshot(keyGroup: number, entry: unknown): asserts entry is TableSnapshot {
  if (!Array.isArray(entry) || entry.length !== 4 || !Array.isArray(entry[3])) {
    throw new StateFormatError(`key group ${keyGroup}: malformed table entry`);
  }
  const [uid, name, kind] = entry as unknown[];
  if (kind !== 'value' && kind !== 'map')
    throw new StateFormatError(`state ${String(uid)}/${String(name)}: unknown kind ${String(kind)}`);
}

/**
 * Checks a restoreGroup call's arguments.
 * @throws RangeError when `keyGroup` is outside `range`, StateFormatError when `tables` is not a list
 */
export function checkRestoreArgs(range: KeyGroupRange, keyGroup: number, tables: unknown): void {
  if (keyGroup < range.start || keyGroup > range.end) {
    throw new RangeError(`cannot restore key group ${keyGroup} outside ${range.start}..${range.end}`);
  }
  if (!Array.isArray(tables))
    throw new StateFormatError(`key group ${keyGroup}: payload is not a table list`);
}

/**
 * The error setCurrentKey throws for a key group outside the backend's range.
 */
export function foreignKeyGroupError(range: KeyGroupRange, key: string, keyGroup: number): RangeError {
  return new RangeError(
    `key group ${keyGroup} of key ${JSON.stringify(key)} is outside this worker's range ${range.start}..${range.end}`,
  );
}
