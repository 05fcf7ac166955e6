/**
 * Deleting a job's snapshots from storage for `spec.onDelete: delete` (streamjob/on-delete.ts
 * decides what; this lists and deletes).
 */
import type { EffectiveStorage } from '../streamjob/storage.ts';
import { deletedOnDelete } from '../streamjob/on-delete.ts';
import type { StorageClient } from '../s3/storage-client.ts';

/**
 * Deletes every object under `<jobPrefix>/checkpoints/` and `<jobPrefix>/savepoints/` except
 * under the directories `kept`.
 * @returns the number of objects deleted
 * @throws the storage client's error (nothing or part deleted; deleting again is harmless)
 */
export async function deleteJobData(
  s3: StorageClient,
  storage: EffectiveStorage,
  kept: readonly string[],
): Promise<number> {
  return s3.deleteUnder(storage.bucket, `${storage.jobPrefix}/`, (name) =>
    deletedOnDelete(storage.jobPrefix, name, kept),
  );
}
