import { MIN_MEMORY_BYTES, rocksMemoryOptions } from './memory-options.ts';

const MiB = 1024 * 1024;

describe('RocksDB memory split', () => {
  it('gives half the budget to the block cache and caps memtables at the other half', () => {
    const o = rocksMemoryOptions(512 * MiB);
    expect(o.cacheSize).toBe(256 * MiB);
    expect(o.compaction).toBe('universal');
    expect(o.cacheIndexAndFilterBlocks).toBe(true);
    // The binding's universal profile: write_buffer_size = budget / 4, up to 6 buffers.
    expect((6 * o.memtableMemoryBudget) / 4).toBeLessThanOrEqual(256 * MiB);
    expect((6 * o.memtableMemoryBudget) / 4).toBeGreaterThan(256 * MiB - 8);
  });

  it('refuses budgets below the minimum and caps the cache at the binding’s uint32', () => {
    expect(() => rocksMemoryOptions(MIN_MEMORY_BYTES - 1)).toThrow(RangeError);
    expect(() => rocksMemoryOptions(100 * MiB + 0.5)).toThrow(RangeError);
    expect(rocksMemoryOptions(16 * 1024 * MiB).cacheSize).toBe(2 ** 32 - 1);
  });
});
