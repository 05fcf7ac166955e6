/**
 * Byte layout of the RocksDB keys of the RocksDB state backend (docs/state.md "Key layout").
 *
 * Row of a state entry (all integers big-endian):
 *
 *   offset  size  field
 *   0       2     key group (0..32767)
 *   2       2     table id (registry below)
 *   4       4     byte length L of the state key
 *   8       L     state key, UTF-8
 *   8+L     ...   map state only: the user key, tag byte 's' (0x73) + UTF-8 of a string,
 *                 or tag byte 'n' (0x6e) + IEEE-754 float64 of a number (−0 written as 0)
 *
 * The key group leads, as in Flink's RocksDB backend, so the rows of a key-group range are one
 * contiguous key range: a snapshot of a key group is one range scan, and dropping key groups
 * (rescaling) is one range delete. The length prefix keeps a state key from running into its
 * map user key, and the user key is the row's tail, so a row key decodes unambiguously. Rows are
 * not ordered by user key (numbers and strings sort by their bytes, not their values).
 *
 * Table registry: row `FF FF 'T'` + table id (2 bytes) → msgpack [uid, name, kind]. Key groups
 * are at most 32767 (maxParallelism ≤ 32768, core/keygroups.ts), so 0xFFFF lies outside every
 * key group and a DB reopened from its files (incremental restore) knows its tables.
 */
import type { StateKind } from '../keyed-state-backend.ts';
import { StateFormatError } from '../keyed-state-backend.ts';

/** Bytes of the key-group and table-id header of every state row. */
export const ROW_HEADER_BYTES = 4;
/** Bytes of the header plus the state-key length. */
const KEY_START = ROW_HEADER_BYTES + 4;
/** Largest table id. */
export const MAX_TABLE_ID = 0xffff;
/** Key prefix of the table registry (outside every key group). */
export const REGISTRY_PREFIX: Buffer = Buffer.from([0xff, 0xff, 0x54]);

const TAG_STRING = 0x73;
const TAG_NUMBER = 0x6e;

/** A decoded state row key. */
export interface RowKey {
  keyGroup: number;
  tableId: number;
  /** The state key. */
  key: string;
  /** Map state rows only: the user key. */
  userKey?: string | number;
}

/** A registry entry: what a table id stands for. */
export interface TableInfo {
  id: number;
  uid: string;
  name: string;
  kind: StateKind;
}

/** The 2-byte prefix of key group `kg`'s rows. */
export function keyGroupPrefix(kg: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(kg, 0);
  return b;
}

/** The 4-byte prefix of table `tableId`'s rows in key group `kg`. */
export function tablePrefix(kg: number, tableId: number): Buffer {
  const b = Buffer.allocUnsafe(ROW_HEADER_BYTES);
  b.writeUInt16BE(kg, 0);
  b.writeUInt16BE(tableId, 2);
  return b;
}

/**
 * The row key of `key` in table `tableId` of key group `kg`: the whole key of a value-state row,
 * and the prefix of every row of that key's map state.
 * @param extra bytes to reserve after the key (for a map user key)
 */
export function stateKeyRow(kg: number, tableId: number, key: string, extra = 0): Buffer {
  const len = Buffer.byteLength(key, 'utf8');
  const b = Buffer.allocUnsafe(KEY_START + len + extra);
  b.writeUInt16BE(kg, 0);
  b.writeUInt16BE(tableId, 2);
  b.writeUInt32BE(len, 4);
  b.write(key, KEY_START, len, 'utf8');
  return b;
}

/** The row key of user key `userKey` of `key`'s map state. */
export function mapEntryRow(kg: number, tableId: number, key: string, userKey: string | number): Buffer {
  if (typeof userKey === 'number') {
    const b = stateKeyRow(kg, tableId, key, 9);
    const at = b.length - 9;
    b[at] = TAG_NUMBER;
    b.writeDoubleBE(userKey === 0 ? 0 : userKey, at + 1);
    return b;
  }
  const ulen = Buffer.byteLength(userKey, 'utf8');
  const b = stateKeyRow(kg, tableId, key, 1 + ulen);
  const at = b.length - 1 - ulen;
  b[at] = TAG_STRING;
  b.write(userKey, at + 1, ulen, 'utf8');
  return b;
}

/**
 * Decodes a state row key.
 * @param withUserKey whether the row belongs to a map state (then a user key must follow)
 * @throws StateFormatError when the bytes are not a row key of that shape
 */
export function decodeRow(row: Uint8Array, withUserKey: boolean): RowKey {
  const b = Buffer.isBuffer(row) ? row : Buffer.from(row.buffer, row.byteOffset, row.byteLength);
  if (b.length < KEY_START) throw new StateFormatError(`row key of ${b.length} bytes is too short`);
  const keyGroup = b.readUInt16BE(0);
  const tableId = b.readUInt16BE(2);
  const len = b.readUInt32BE(4);
  const end = KEY_START + len;
  if (end > b.length) throw new StateFormatError(`row key: state key of ${len} bytes overruns the row`);
  const key = b.toString('utf8', KEY_START, end);
  if (!withUserKey) {
    if (end !== b.length) throw new StateFormatError('value-state row key has trailing bytes');
    return { keyGroup, tableId, key };
  }
  const tag = b[end];
  if (tag === TAG_NUMBER && b.length === end + 9) {
    return { keyGroup, tableId, key, userKey: b.readDoubleBE(end + 1) };
  }
  if (tag === TAG_STRING) return { keyGroup, tableId, key, userKey: b.toString('utf8', end + 1) };
  throw new StateFormatError('map-state row key has no valid user key');
}

/**
 * The smallest key greater than every key that starts with `prefix` (exclusive range end).
 * @throws RangeError when no such key exists (the prefix is all 0xFF bytes)
 */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      b[i]!++;
      return b.subarray(0, i + 1);
    }
  }
  throw new RangeError('a prefix of only 0xFF bytes has no upper bound');
}

/** The registry row key of table `id`. */
export function registryRow(id: number): Buffer {
  const b = Buffer.allocUnsafe(REGISTRY_PREFIX.length + 2);
  REGISTRY_PREFIX.copy(b, 0);
  b.writeUInt16BE(id, REGISTRY_PREFIX.length);
  return b;
}

/**
 * The table id of a registry row key.
 * @throws StateFormatError when the bytes are not a registry row key
 */
export function decodeRegistryRow(row: Uint8Array): number {
  const b = Buffer.isBuffer(row) ? row : Buffer.from(row.buffer, row.byteOffset, row.byteLength);
  if (
    b.length !== REGISTRY_PREFIX.length + 2 ||
    !b.subarray(0, REGISTRY_PREFIX.length).equals(REGISTRY_PREFIX)
  ) {
    throw new StateFormatError('not a table registry row key');
  }
  return b.readUInt16BE(REGISTRY_PREFIX.length);
}
