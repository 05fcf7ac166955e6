/**
 * How the RocksDB backend splits its native memory budget (docs/state.md "Memory").
 *
 * Flink bounds RocksDB by one managed-memory budget M that write buffers (memtables) and the
 * block cache share, with a write-buffer ratio r = 0.5 by default and a high-priority pool of
 * 0.1 of the cache for index and filter blocks. The binding this backend uses
 * (@nxtedition/rocksdb, binding.cc InitOptions) has no WriteBufferManager and no cache priority
 * pools, so the same split is applied as two separate caps:
 *
 *   block cache   = (1 − r) · M                      (`cacheSize`; index and filter blocks are
 *                                                     cached in it, `cacheIndexAndFilterBlocks`,
 *                                                     so they count against it instead of growing
 *                                                     outside the budget; they are partitioned,
 *                                                     native-addon.ts, so a lookup caches 4 KiB
 *                                                     partitions, not a file's whole filter)
 *   memtables     = r · M at most: the binding's `compaction: 'universal'` profile sets
 *                   write_buffer_size = B/4 and max_write_buffer_number = 6 from
 *                   `memtableMemoryBudget` B, i.e. up to 1.5·B of memtables, so B = r·M / 1.5.
 *
 * Universal compaction (not the binding's level profile): with keys updated all over the key
 * space, level compaction rewrote the whole first level every second checkpoint, and an
 * incremental checkpoint uploaded 85–95 MiB of 270 MiB at 1 % of 10 M keys changed; universal
 * compaction merges the small new sorted runs among themselves and rewrites the large one only
 * when the newer runs add up to its size (space amplification, RocksDB's
 * max_size_amplification_percent, 200 % by default), so the checkpoints uploaded 3.4–22 MiB of
 * 103–137 MiB (docs/state.md "Compaction").
 *
 * Example, M = 512 MiB: block cache 256 MiB; B = 170.7 MiB, write buffers of 42.7 MiB, at most 6
 * of them = 256 MiB. Not covered by M: the JS-side write cache (rocksdb-state-backend.ts), table
 * readers' memory beyond cached blocks, and iterator pins during a snapshot.
 */

/** Flink's default share of the budget for write buffers (state.backend.rocksdb.memory.write-buffer-ratio). */
export const WRITE_BUFFER_RATIO = 0.5;
/** Worst-case memtable memory of the binding's compaction profiles, as a multiple of memtableMemoryBudget (6 × 1/4). */
const MEMTABLE_OVERSHOOT = 1.5;
/** The binding reads cacheSize as a uint32. */
const MAX_CACHE_BYTES = 2 ** 32 - 1;
/** Below this budget RocksDB's fixed overheads dominate; refused. */
export const MIN_MEMORY_BYTES = 8 * 1024 * 1024;

/** The db_open options derived from a budget (names as binding.cc reads them). */
export interface RocksMemoryOptions {
  /** Block cache capacity, bytes. */
  cacheSize: number;
  /** Index and filter blocks live in (and are bounded by) the block cache. */
  cacheIndexAndFilterBlocks: true;
  /** The binding's universal-compaction profile, which derives the write-buffer sizes from memtableMemoryBudget. */
  compaction: 'universal';
  /** Bytes; write_buffer_size = 1/4 of it, up to 6 write buffers. */
  memtableMemoryBudget: number;
}

/**
 * Splits a native memory budget between block cache and write buffers (module comment).
 * @param memoryBytes the budget M, bytes (≥ MIN_MEMORY_BYTES)
 * @throws RangeError when memoryBytes is not an integer ≥ MIN_MEMORY_BYTES
 */
export function rocksMemoryOptions(memoryBytes: number): RocksMemoryOptions {
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes < MIN_MEMORY_BYTES) {
    throw new RangeError(
      `RocksDB memory budget ${memoryBytes} bytes is below the minimum ${MIN_MEMORY_BYTES}`,
    );
  }
  const writeBuffers = Math.floor(memoryBytes * WRITE_BUFFER_RATIO);
  return {
    cacheSize: Math.min(memoryBytes - writeBuffers, MAX_CACHE_BYTES),
    cacheIndexAndFilterBlocks: true,
    compaction: 'universal',
    memtableMemoryBudget: Math.floor(writeBuffers / MEMTABLE_OVERSHOOT),
  };
}
