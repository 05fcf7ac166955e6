/**
 * Deleting a job's snapshots from storage for `spec.onDelete: delete` (streamjob/on-delete.ts
 * decides what; this lists and deletes).
 */
import type { EffectiveStorage } from '../streamjob/storage.ts';
import { objectsToDelete } from '../streamjob/on-delete.ts';
import type { StorageClient } from './storage-client.ts';

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
  const names = await s3.listNames(storage.bucket, `${storage.jobPrefix}/`);
  const doomed = objectsToDelete(storage.jobPrefix, names, kept);
  if (doomed.length > 0) await s3.removeObjects(storage.bucket, doomed);
  return doomed.length;
}
