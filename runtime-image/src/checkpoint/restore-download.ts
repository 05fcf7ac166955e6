/**
 * Downloads one state file listed in a snapshot's `_metadata` to a local file and checks it
 * against its listed size and sha256 (docs/runtime.md "Restore"), streamed: the file is never
 * held in memory whole.
 */
import { rm } from 'node:fs/promises';
import type { SnapshotFileEntry } from '@sluice/api/protocol.ts';
import { ObjectStoreError, type ObjectStore } from '../io/object-store.ts';
import { SnapshotCorruptedError } from './snapshot-codec.ts';
import { LocalSnapshotFile } from './snapshot-file-reader.ts';

/**
 * Downloads the state file `key` into `path` and checks it against its `_metadata` entry.
 * @returns its size in bytes
 * @throws SnapshotCorruptedError naming the object and `subtask` when it is missing or its size
 *   or sha256 differ from the entry (naming the damaged header or section when the file's own
 *   checksums find it); ObjectStoreError on other storage errors. `path` is removed when it throws.
 */
export async function downloadListedFile(
  store: ObjectStore,
  key: string,
  entry: SnapshotFileEntry,
  subtask: number,
  path: string,
): Promise<number> {
  const url = store.url(key);
  try {
    let got: { bytes: number; sha256: string };
    try {
      got = await store.getToFile(key, path);
    } catch (err) {
      if (err instanceof ObjectStoreError && (err.code === 'NoSuchKey' || err.code === 'NotFound')) {
        throw new SnapshotCorruptedError(
          url,
          `subtask ${subtask}'s state file, listed in _metadata, does not exist`,
        );
      }
      throw err;
    }
    if (got.bytes !== entry.bytes) {
      throw new SnapshotCorruptedError(
        url,
        `subtask ${subtask}'s state file is ${got.bytes} bytes, _metadata lists ${entry.bytes}`,
      );
    }
    if (got.sha256 !== entry.sha256) {
      // Name the damaged header or section when the file's own checksums find it (they throw
      // SnapshotCorruptedError naming it); otherwise the file as a whole.
      const f = await LocalSnapshotFile.open(path, url);
      try {
        for await (const _ of f.each(() => true));
      } finally {
        await f.close();
      }
      throw new SnapshotCorruptedError(
        url,
        `subtask ${subtask}'s state file has sha256 ${got.sha256}, _metadata lists ${entry.sha256}`,
      );
    }
    return got.bytes;
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}
