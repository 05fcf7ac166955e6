/**
 * Rebuilding a RocksDB directory from an incremental checkpoint (docs/state.md "Restore"): the
 * shared data files are downloaded in parallel and each is checked against its size and sha256
 * in `_metadata` before the database is opened; the private files come from the snapshot file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sharedStateDir } from '@sluice/api/layout.ts';
import { SnapshotCorruptedError } from '../../checkpoint/snapshot-codec.ts';
import { ObjectStoreError, type ObjectStore } from '../../io/object-store.ts';
import { INCREMENTAL_HANDLE_VERSION, type IncrementalStateHandle } from './incremental-checkpoint.ts';

/** Default number of shared files downloaded at once. */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 4;

/**
 * Checks that `value` (a decoded `rocksdb/<stage>` section) is a handle this runtime reads.
 * @throws SnapshotCorruptedError naming `source` when it is not
 */
export function asIncrementalHandle(value: unknown, source: string): IncrementalStateHandle {
  const h = value as Partial<IncrementalStateHandle> | null;
  if (
    typeof h !== 'object' ||
    h === null ||
    h.format !== INCREMENTAL_HANDLE_VERSION ||
    typeof h.instance !== 'string' ||
    !Array.isArray(h.shared) ||
    !Array.isArray(h.private) ||
    typeof h.keyGroupRange?.start !== 'number' ||
    typeof h.keyGroupRange?.end !== 'number'
  ) {
    throw new SnapshotCorruptedError(
      source,
      `not a RocksDB state handle of format ${INCREMENTAL_HANDLE_VERSION}`,
    );
  }
  for (const p of h.private) {
    if (typeof p?.name !== 'string' || p.name.includes('/') || !(p.content instanceof Uint8Array)) {
      throw new SnapshotCorruptedError(source, 'a private file entry is malformed');
    }
  }
  for (const f of h.shared) {
    if (typeof f?.name !== 'string' || f.name.includes('/') || typeof f.key !== 'string') {
      throw new SnapshotCorruptedError(source, 'a shared file entry is malformed');
    }
  }
  return h as IncrementalStateHandle;
}

/**
 * Writes the database directory of `handle` into `dir` (created; it should be empty).
 * @param concurrency shared files downloaded at once
 * @returns bytes written
 * @throws SnapshotCorruptedError naming the object when a shared file is missing or its size or
 *   sha256 differs from the handle's; ObjectStoreError on other storage errors
 */
export async function downloadIncrementalState(
  store: ObjectStore,
  jobPrefix: string,
  handle: IncrementalStateHandle,
  dir: string,
  concurrency: number = DEFAULT_DOWNLOAD_CONCURRENCY,
): Promise<number> {
  await mkdir(dir, { recursive: true });
  let bytes = 0;
  const root = sharedStateDir(jobPrefix);
  const queue = [...handle.shared];
  const worker = async (): Promise<void> => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const key = `${root}/${f.key}`;
      let got: { bytes: number; sha256: string };
      try {
        got = await store.getToFile(key, join(dir, f.name));
      } catch (err) {
        if (err instanceof ObjectStoreError && (err.code === 'NoSuchKey' || err.code === 'NotFound')) {
          throw new SnapshotCorruptedError(
            store.url(key),
            'a shared state file the checkpoint lists does not exist',
          );
        }
        throw err;
      }
      if (got.bytes !== f.bytes || got.sha256 !== f.sha256) {
        throw new SnapshotCorruptedError(
          store.url(key),
          `shared state file ${f.name} is ${got.bytes} bytes with sha256 ${got.sha256}, the checkpoint lists ${f.bytes} bytes with sha256 ${f.sha256}`,
        );
      }
      bytes += got.bytes;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  for (const p of handle.private) {
    await writeFile(join(dir, p.name), p.content);
    bytes += p.content.byteLength;
  }
  return bytes;
}
