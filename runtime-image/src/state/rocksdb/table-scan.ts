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
  let kg = -1;
  let tables: TableSnapshot[] = [];
  let table: TableSnapshot | undefined;
  let tableId = -1;
  let mapKey: string | undefined;
  let mapEntries: Array<[string | number, unknown]> = [];
  const finish = () => {
    if (kg >= 0 && tables.length > 0) out.set(kg, encodePayload(tables));
  };
  db.scan(keyGroupPrefix(range.start), keyGroupPrefix(range.end + 1), (k, v) => {
    const rowKg = k.readUInt16BE(0);
    const rowTable = k.readUInt16BE(2);
    if (rowKg !== kg) {
      finish();
      kg = rowKg;
      tables = [];
      tableId = -1;
    }
    if (rowTable !== tableId) {
      const info = tablesById.get(rowTable);
      if (!info) throw new StateFormatError(`key group ${rowKg}: row of unregistered table id ${rowTable}`);
      tableId = rowTable;
      table = [info.uid, info.name, info.kind, []];
      tables.push(table);
      mapKey = undefined;
    }
    const value = decodeValue(v);
    if (table![2] === 'value') {
      table![3].push([decodeRow(k, false).key, value]);
      return;
    }
    const row = decodeRow(k, true);
    if (row.key !== mapKey) {
      mapKey = row.key;
      mapEntries = [];
      table![3].push([row.key, mapEntries]);
    }
    mapEntries.push([row.userKey!, value]);
  });
  finish();
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
