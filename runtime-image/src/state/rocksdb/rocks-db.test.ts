import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rocksMemoryOptions } from './memory-options.ts';
import { createCheckpoint } from './native-checkpoint.ts';
import { RocksDb } from './rocks-db.ts';

const { RocksLevel } = createRequire(import.meta.url)('@nxtedition/rocksdb') as {
  RocksLevel: new (
    location: string,
    o: Record<string, unknown>,
  ) => {
    readonly handle: bigint;
    open(o: Record<string, unknown>): Promise<void>;
    close(): Promise<void>;
    batch(ops: Array<{ type: 'put'; key: Buffer; value: Buffer }>): Promise<void>;
    getProperty(name: string): string;
  };
};

const key = (i: number): Buffer => Buffer.from(`row-${String(i).padStart(8, '0')}`);
const value = (i: number): Buffer => Buffer.from(`value-${i}`);

/**
 * Index partitions of the live SST files, from RocksDB's aggregated table properties (which
 * leave the count out when no file has a partitioned index).
 */
function indexPartitions(properties: string): number {
  if (!properties.includes('# data blocks=')) throw new Error(`not table properties: ${properties}`);
  const m = /# index partitions=(\d+)/.exec(properties);
  return m ? Number(m[1]) : 0;
}

describe('RocksDb (real RocksDB)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-rocksdb-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes partitioned index and filter blocks and still reads files written without them', async () => {
    const location = join(dir, 'db');
    // Files written by a database opened without the addon: one full index and filter per file.
    const plain = new RocksLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await plain.open({ createIfMissing: true });
    const ops = [];
    for (let i = 0; i < 50_000; i++) ops.push({ type: 'put' as const, key: key(i), value: value(i) });
    await plain.batch(ops);
    createCheckpoint(plain, join(dir, 'flush-1')); // flushes the memtable into an SST
    expect(indexPartitions(plain.getProperty('rocksdb.aggregated-table-properties'))).toBe(0);
    await plain.close();

    const db = await RocksDb.open(location, rocksMemoryOptions(16 * 1024 * 1024));
    try {
      db.write((b) => {
        for (let i = 50_000; i < 100_000; i++) b.put(key(i), value(i));
      });
      createCheckpoint(db.level, join(dir, 'flush-2'));
      // The new file's index is partitioned (about 2 MiB of rows: hundreds of 4 KiB blocks).
      expect(indexPartitions(db.property('rocksdb.aggregated-table-properties'))).toBeGreaterThan(0);
      const probes = [0, 49_999, 50_000, 99_999].map(key);
      expect(db.getMany(probes).map((v) => v?.toString())).toEqual([
        'value-0',
        'value-49999',
        'value-50000',
        'value-99999',
      ]);
      expect(db.getMany([key(100_000)])).toEqual([undefined]);
    } finally {
      await db.close();
    }
  });
});
