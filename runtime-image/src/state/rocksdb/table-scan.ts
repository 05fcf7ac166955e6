/**
 * Range scans of the RocksDB state backend's tables: the canonical snapshot payloads
 * (keyed-state-backend.ts module comment) and the per-table visit of forEachEntry.
 */
import { encodePayload } from '../../checkpoint/snapshot-codec.ts';
import type { KeyGroupRange } from '../../core/keygroups.ts';
import { StateFormatError, type TableSnapshot } from '../keyed-state-backend.ts';
import { decodeRow, keyGroupPrefix, prefixEnd, tablePrefix, type TableInfo } from './key-layout.ts';
import type { RocksDb } from './rocks-db.ts';
import { decodeValue } from './value-codec.ts';

/**
 * Groups state rows, fed in key order, into canonical payloads (keyed-state-backend.ts module
 * comment), one key group at a time: only the key group being assembled is held.
 */
export class PayloadAssembler {
  readonly #tablesById: ReadonlyMap<number, TableInfo>;
  #kg = -1;
  #tables: TableSnapshot[] = [];
  #table: TableSnapshot | undefined;
  #tableId = -1;
  #mapKey: string | undefined;
  #mapEntries: Array<[string | number, unknown]> = [];

  constructor(tablesById: ReadonlyMap<number, TableInfo>) {
    this.#tablesById = tablesById;
  }

  /**
   * Adds one row.
   * @returns the payload of the previous key group when this row starts another one
   * @throws StateFormatError when the row belongs to no registered table or does not decode
   */
  add(k: Buffer, v: Buffer): [number, Uint8Array] | undefined {
    const rowKg = k.readUInt16BE(0);
    const rowTable = k.readUInt16BE(2);
    let done: [number, Uint8Array] | undefined;
    if (rowKg !== this.#kg) {
      done = this.finish();
      this.#kg = rowKg;
    }
    if (rowTable !== this.#tableId) {
      const info = this.#tablesById.get(rowTable);
      if (!info) throw new StateFormatError(`key group ${rowKg}: row of unregistered table id ${rowTable}`);
      this.#tableId = rowTable;
      this.#table = [info.uid, info.name, info.kind, []];
      this.#tables.push(this.#table);
      this.#mapKey = undefined;
    }
    const table = this.#table!;
    const value = decodeValue(v);
    if (table[2] === 'value') {
      table[3].push([decodeRow(k, false).key, value]);
      return done;
    }
    const row = decodeRow(k, true);
    if (row.key !== this.#mapKey) {
      this.#mapKey = row.key;
      this.#mapEntries = [];
      table[3].push([row.key, this.#mapEntries]);
    }
    this.#mapEntries.push([row.userKey!, value]);
    return done;
  }

  /** Ends the current key group. @returns its payload, or undefined when it had no rows */
  finish(): [number, Uint8Array] | undefined {
    const out: [number, Uint8Array] | undefined =
      this.#kg >= 0 && this.#tables.length > 0 ? [this.#kg, encodePayload(this.#tables)] : undefined;
    this.#tables = [];
    this.#table = undefined;
    this.#tableId = -1;
    this.#mapKey = undefined;
    return out;
  }
}

/**
 * Reads every state row of `range` (one scan, in key order) into canonical payloads.
 * @returns key group → msgpack payload, ascending key groups, empty groups absent
 * @throws StateFormatError when a row belongs to no registered table or does not decode
 */
export function canonicalPayloads(
  db: RocksDb,
  range: KeyGroupRange,
  tablesById: ReadonlyMap<number, TableInfo>,
): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (range.end < range.start) return out;
  const assembler = new PayloadAssembler(tablesById);
  const take = (p: [number, Uint8Array] | undefined) => {
    if (p) out.set(p[0], p[1]);
  };
  db.scan(keyGroupPrefix(range.start), keyGroupPrefix(range.end + 1), (k, v) => take(assembler.add(k, v)));
  take(assembler.finish());
  return out;
}

/**
 * Visits every (key group, key, value) of one table in `range`; map-state values as Map objects.
 * @throws StateFormatError when a row does not decode
 */
export function visitTable(
  db: RocksDb,
  range: KeyGroupRange,
  table: TableInfo,
  visit: (keyGroup: number, key: string, value: unknown) => void,
): void {
  for (let kg = range.start; kg <= range.end; kg++) {
    const start = tablePrefix(kg, table.id);
    if (table.kind === 'value') {
      db.scan(start, prefixEnd(start), (k, v) => visit(kg, decodeRow(k, false).key, decodeValue(v)));
      continue;
    }
    let key: string | undefined;
    let map = new Map<string | number, unknown>();
    db.scan(start, prefixEnd(start), (k, v) => {
      const row = decodeRow(k, true);
      if (row.key !== key) {
        if (key !== undefined) visit(kg, key, map);
        key = row.key;
        map = new Map();
      }
      map.set(row.userKey!, decodeValue(v));
    });
    if (key !== undefined) visit(kg, key, map);
  }
}
