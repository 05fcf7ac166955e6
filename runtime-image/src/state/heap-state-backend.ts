/**
 * Heap keyed-state backend of one stage on one worker: tables live in the JS heap as Maps per key
 * group. Snapshot payloads are the canonical format of keyed-state-backend.ts.
 */
import type { MapState, ValueState } from '../api/types.ts';
import { inRange, rangeSize, type KeyGroupRange } from '../core/keygroups.ts';
import { encodePayload } from '../checkpoint/snapshot-codec.ts';
import {
  StateFormatError,
  checkRestoreArgs,
  checkTableSnapshot,
  foreignKeyGroupError,
  type KeyedStateBackend,
  type StateKind,
  type TableSnapshot,
} from './keyed-state-backend.ts';

interface Table {
  uid: string;
  name: string;
  kind: StateKind;
  /** Index: key group − range.start. */
  groups: Array<Map<string, unknown> | undefined>;
}

/** Keyed state in the JS heap (see the module comment). */
export class HeapStateBackend implements KeyedStateBackend {
  readonly range: KeyGroupRange;
  private readonly tables = new Map<string, Table>();
  private key = '';
  private groupIndex = -1;
  /**
   * Changes whenever the current key changes or a key's map-state Map may have been created or
   * dropped; a map-state handle's remembered Map is valid only for the epoch it was read in.
   */
  private epoch = 0;

  /** @param range the key groups this backend holds (the worker's range) */
  constructor(range: KeyGroupRange) {
    this.range = range;
  }

  /**
   * Sets the key that state handles read and write.
   * @param keyGroup key group of `key`; must lie in the backend's range
   * @throws RangeError when it does not (a record was routed to the wrong worker)
   */
  setCurrentKey(key: string, keyGroup: number): void {
    if (!inRange(this.range, keyGroup)) {
      throw foreignKeyGroupError(this.range, key, keyGroup);
    }
    this.key = key;
    this.groupIndex = keyGroup - this.range.start;
    this.epoch++;
  }

  /** The current key. */
  get currentKey(): string {
    return this.key;
  }

  /** The current key group. */
  get currentKeyGroup(): number {
    return this.groupIndex + this.range.start;
  }

  private table(uid: string, name: string, kind: StateKind): Table {
    const id = `${uid}\u0000${name}`;
    let t = this.tables.get(id);
    if (!t) {
      t = { uid, name, kind, groups: new Array(rangeSize(this.range)) };
      this.tables.set(id, t);
    } else if (t.kind !== kind) {
      throw new StateFormatError(`state ${uid}/${name} is a ${t.kind} state, requested as ${kind} state`);
    }
    return t;
  }

  private group(t: Table, create: boolean): Map<string, unknown> | undefined {
    let g = t.groups[this.groupIndex];
    if (!g && create) {
      g = new Map();
      t.groups[this.groupIndex] = g;
    }
    return g;
  }

  /** A handle on value state `name` of operator `uid`. @throws StateFormatError if it exists as map state */
  valueState<T>(uid: string, name: string): ValueState<T> {
    const t = this.table(uid, name, 'value');
    return {
      value: () => this.group(t, false)?.get(this.key) as T | undefined,
      update: (v: T) => {
        this.group(t, true)!.set(this.key, v);
      },
      clear: () => {
        this.group(t, false)?.delete(this.key);
      },
    };
  }

  /**
   * A handle on map state `name` of operator `uid`. The handle remembers the current key's Map
   * between calls for the same key, so an operator's get-then-put on one key looks the key up
   * once (docs/runtime.md "Profile of Nexmark Q5 and Q7").
   * @throws StateFormatError if it exists as value state
   */
  mapState<K extends string | number, V>(uid: string, name: string): MapState<K, V> {
    const t = this.table(uid, name, 'map');
    let seen = -1;
    let seenMap: Map<K, V> | undefined;
    const current = (create: boolean): Map<K, V> | undefined => {
      if (seen === this.epoch && (seenMap !== undefined || !create)) return seenMap;
      const g = this.group(t, create);
      let m = g?.get(this.key) as Map<K, V> | undefined;
      if (!m && create) {
        m = new Map();
        g!.set(this.key, m);
        this.epoch++;
      }
      seen = this.epoch;
      seenMap = m;
      return m;
    };
    /** Drops the current key's Map from the table. */
    const drop = () => {
      if (this.group(t, false)?.delete(this.key)) this.epoch++;
    };
    const empty = new Map<K, V>();
    return {
      get: (k) => current(false)?.get(k),
      put: (k, v) => {
        current(true)!.set(k, v);
      },
      has: (k) => current(false)?.has(k) ?? false,
      remove: (k) => {
        const m = current(false);
        if (!m) return;
        m.delete(k);
        if (m.size === 0) drop();
      },
      entries: () => (current(false) ?? empty).entries(),
      size: () => current(false)?.size ?? 0,
      clear: drop,
    };
  }

  /**
   * Visits every (key group, key, value) of a table; used by operators to rebuild in-memory
   * indexes after a restore. Map-state values are visited as Map objects.
   */
  forEachEntry(
    uid: string,
    name: string,
    visit: (keyGroup: number, key: string, value: unknown) => void,
  ): void {
    const t = this.tables.get(`${uid}\u0000${name}`);
    if (!t) return;
    t.groups.forEach((g, i) => g?.forEach((v, k) => visit(i + this.range.start, k, v)));
  }

  /** Number of keys across all tables (a key in two tables counts twice). */
  entryCount(): number {
    let n = 0;
    for (const t of this.tables.values()) for (const g of t.groups) n += g?.size ?? 0;
    return n;
  }

  /**
   * Captures the state synchronously, one msgpack payload per non-empty key group (see
   * the module comment for the format). Later mutations do not affect the result.
   * @returns key group → encoded payload bytes
   */
  snapshot(): Map<number, Uint8Array> {
    const perGroup = new Map<number, TableSnapshot[]>();
    for (const t of this.tables.values()) {
      t.groups.forEach((g, i) => {
        if (!g || g.size === 0) return;
        const entries: Array<[string, unknown]> = [];
        if (t.kind === 'value') for (const e of g) entries.push(e);
        else for (const [k, m] of g) entries.push([k, [...(m as Map<unknown, unknown>)]]);
        const kg = i + this.range.start;
        let list = perGroup.get(kg);
        if (!list) perGroup.set(kg, (list = []));
        list.push([t.uid, t.name, t.kind, entries]);
      });
    }
    const out = new Map<number, Uint8Array>();
    for (const [kg, list] of [...perGroup].sort((a, b) => a[0] - b[0])) out.set(kg, encodePayload(list));
    return out;
  }

  /**
   * Loads tables of one key group from a decoded payload (replacing entries with the same key).
   * @throws StateFormatError when the payload is malformed, RangeError when the group is not ours
   */
  restoreGroup(keyGroup: number, tables: TableSnapshot[]): void {
    checkRestoreArgs(this.range, keyGroup, tables);
    const idx = keyGroup - this.range.start;
    for (const entry of tables) {
      checkTableSnapshot(keyGroup, entry);
      const [uid, name, kind, entries] = entry;
      const t = this.table(uid, name, kind);
      this.epoch++;
      let g = t.groups[idx];
      if (!g) t.groups[idx] = g = new Map();
      for (const [k, v] of entries) g.set(k, kind === 'map' ? new Map(v as Array<[unknown, unknown]>) : v);
    }
  }

  /** The operator uids that have tables. */
  uids(): Set<string> {
    return new Set([...this.tables.values()].map((t) => t.uid));
  }

  /** Nothing to release: the tables are garbage once the backend is unreachable. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
