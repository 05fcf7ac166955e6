/**
 * The native addon of runtime-image/native/rocksdb-checkpoint (built by `make native`): the two
 * RocksDB primitives @nxtedition/rocksdb lacks, reached on the DB the binding opened through
 * `RocksLevel#handle` (docs/state.md, "RocksDB checkpoints (native addon)"):
 *
 *   - `checkpoint` (native-checkpoint.ts);
 *   - `partitionIndexAndFilters` (below; docs/state.md "Memory: partitioned index and filters").
 */
import { createRequire } from 'node:module';

/** What the addon's `checkpoint` returns (native-checkpoint.ts). */
export interface NativeCheckpointResult {
  files: Array<{ name: string; bytes: number }>;
  sequence: number;
}

/** The addon's exports. */
export interface NativeAddon {
  checkpoint(handle: bigint, dir: string): NativeCheckpointResult;
  partitionIndexAndFilters(handle: bigint): boolean;
}

/** Path of the built addon, relative to this module. */
const ADDON_PATH = '../../../native/rocksdb-checkpoint/build/Release/rocksdb_checkpoint.node';

let addon: NativeAddon | undefined;

/**
 * The loaded addon (loaded once).
 * @throws Error when the addon is not built; the message says to run `make native`
 */
export function nativeAddon(): NativeAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  try {
    addon = require(ADDON_PATH) as NativeAddon;
  } catch (err) {
    throw new Error(
      `the RocksDB native addon is not built (${ADDON_PATH} relative to runtime-image/src/state/rocksdb): run \`make native\``,
      { cause: err },
    );
  }
  return addon;
}

/**
 * Makes the SST files the database writes from now on carry partitioned index and filter blocks
 * (RocksDB's kTwoLevelIndexSearch index with partition_filters): a point lookup then brings
 * one 4 KiB filter partition and one index partition into the block cache instead of the whole
 * filter and index of a file, so the block cache stops thrashing once the filters of the state
 * outgrow it (docs/state.md "Memory: partitioned index and filters"). Files written before keep
 * their layout and stay readable. Synchronous; waits for running flushes and compactions.
 *
 * @param db an open `RocksLevel` of @nxtedition/rocksdb 12.2.12
 * @returns true when the table options were changed, false when they already were partitioned
 * @throws Error when the addon is not built, `db` is closed, the binding's struct layout does not
 *   match, or RocksDB refuses to pause or resume background work (its status text in the message)
 */
export function partitionIndexAndFilters(db: { handle: bigint }): boolean {
  return nativeAddon().partitionIndexAndFilters(db.handle);
}
