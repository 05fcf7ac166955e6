import { StateFormatError } from '../keyed-state-backend.ts';
import {
  REGISTRY_PREFIX,
  decodeRegistryRow,
  decodeRow,
  keyGroupPrefix,
  mapEntryRow,
  prefixEnd,
  registryRow,
  stateKeyRow,
  tablePrefix,
} from './key-layout.ts';

describe('RocksDB key layout', () => {
  it('lays out key group, table id, length-prefixed key, tagged user key (big-endian)', () => {
    expect([...stateKeyRow(0x0102, 0x0304, 'ab')]).toEqual([1, 2, 3, 4, 0, 0, 0, 2, 0x61, 0x62]);
    expect([...mapEntryRow(1, 2, 'k', 'ü')]).toEqual([0, 1, 0, 2, 0, 0, 0, 1, 0x6b, 0x73, 0xc3, 0xbc]);
    const n = mapEntryRow(1, 2, 'k', 1.5);
    expect([...n.subarray(0, 10)]).toEqual([0, 1, 0, 2, 0, 0, 0, 1, 0x6b, 0x6e]);
    expect(n.readDoubleBE(10)).toBe(1.5);
    expect([...tablePrefix(300, 7)]).toEqual([1, 44, 0, 7]);
    expect([...keyGroupPrefix(32767)]).toEqual([0x7f, 0xff]);
  });

  it('decodes what it encodes, unambiguously', () => {
    const cases: Array<[string, string | number]> = [
      ['', ''],
      ['a', 'bc'],
      ['ab', 'c'],
      ['γάμμα', 'данные'],
      ['k', 0],
      ['k', -0],
      ['k', -1e300],
      ['k', 42],
      ['k', '42'],
      ['k\u0000', 'x'],
    ];
    const seen = new Set<string>();
    for (const [key, uk] of cases) {
      const row = mapEntryRow(32767, 65535, key, uk);
      expect(decodeRow(row, true)).toEqual({
        keyGroup: 32767,
        tableId: 65535,
        key,
        userKey: uk === 0 ? 0 : uk,
      });
      seen.add(row.toString('hex'));
    }
    expect(seen.size).toBe(cases.length - 1); // 0 and −0 are one Map key, as in JS Maps
    expect(decodeRow(stateKeyRow(5, 6, 'straße'), false)).toEqual({ keyGroup: 5, tableId: 6, key: 'straße' });
  });

  it('rejects rows that do not decode', () => {
    expect(() => decodeRow(Buffer.from([0, 1, 0]), false)).toThrow(StateFormatError);
    expect(() => decodeRow(Buffer.from([0, 1, 0, 2, 0, 0, 0, 9, 0x61]), false)).toThrow(/overruns/);
    expect(() => decodeRow(mapEntryRow(1, 2, 'k', 'x'), false)).toThrow(/trailing/);
    expect(() => decodeRow(stateKeyRow(1, 2, 'k'), true)).toThrow(/no valid user key/);
    expect(() => decodeRegistryRow(stateKeyRow(1, 2, 'k'))).toThrow(StateFormatError);
  });

  it('puts the registry outside every key group and contiguous ranges under prefixes', () => {
    expect(decodeRegistryRow(registryRow(513))).toBe(513);
    expect(Buffer.compare(registryRow(0), keyGroupPrefix(32767))).toBe(1);
    expect(registryRow(0).subarray(0, 3).equals(REGISTRY_PREFIX)).toBe(true);
    // Every row of key group g lies in [prefix(g), prefix(g + 1)), and every row of a key under its prefix.
    const row = mapEntryRow(9, 0xffff, 'k', 'z');
    expect(Buffer.compare(keyGroupPrefix(9), row)).toBe(-1);
    expect(Buffer.compare(row, keyGroupPrefix(10))).toBe(-1);
    const p = stateKeyRow(9, 0xffff, 'k');
    expect(Buffer.compare(row, prefixEnd(p))).toBe(-1);
    expect([...prefixEnd(Buffer.from([1, 0xff, 0xff]))]).toEqual([2]);
    expect(() => prefixEnd(Buffer.from([0xff]))).toThrow(RangeError);
  });
});
