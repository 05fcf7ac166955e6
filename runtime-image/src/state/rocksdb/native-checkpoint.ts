/**
 * RocksDB checkpoints through the native addon of runtime-image/native/rocksdb-checkpoint
 * (docs/state.md, "RocksDB checkpoints (native addon)"). @nxtedition/rocksdb has no checkpoint
 * primitive; the addon takes one on the DB the binding opened, found through `RocksLevel#handle`.
 */
import { nativeAddon } from './native-addon.ts';

/** One file of a checkpoint directory. */
export interface CheckpointFile {
  /** File name inside the checkpoint directory (RocksDB's relative file name, e.g. `000009.sst`). */
  name: string;
  /** Size in bytes (for a WAL copied up to its live size, that size). */
  bytes: number;
}

/** What {@link createCheckpoint} wrote. */
export interface CheckpointResult {
  /** Every file of the checkpoint: SSTs, MANIFEST, CURRENT, OPTIONS, live WAL files. */
  files: CheckpointFile[];
  /** RocksDB's latest sequence number read before the live files were listed: every write up to it is in the checkpoint. */
  sequence: number;
}

/**
 * Takes a RocksDB checkpoint of an open database into `dir`, synchronously (it blocks the event
 * loop for the flush and the links; no JavaScript runs meanwhile).
 *
 * Memtables are flushed first, so the SSTs hold every write; SST files are hard-linked into
 * `dir` (copied when `dir` is on another file system), so two checkpoints share the SSTs that did
 * not change. CURRENT is written from RocksDB's saved contents, the MANIFEST and WAL files are
 * copied up to their live size. File deletions of the database are disabled for the duration.
 * `dir` can be opened as a RocksDB database of its own.
 *
 * @param db an open `RocksLevel` of @nxtedition/rocksdb 12.2.12 (its `handle` is the address of
 *   the binding's Database struct; the addon checks the struct layout before use)
 * @param dir directory to create; it must not exist (its parent is created when missing)
 * @returns the files written (name, size in bytes) and the sequence number covered
 * @throws Error when the addon is not built (the message says to run `make native`), when `db`
 *   is closed, when `dir` exists, or when RocksDB or the file system fails (RocksDB's status
 *   text in the message); on failure a partly written `dir` is removed
 */
export function createCheckpoint(db: { handle: bigint }, dir: string): CheckpointResult {
  return nativeAddon().checkpoint(db.handle, dir);
}
