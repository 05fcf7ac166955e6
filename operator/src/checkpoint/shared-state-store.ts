/**
 * The files incremental checkpoints share (`<jobPrefix>/shared/`, docs/state.md "Incremental
 * checkpoints"): which of them no retained checkpoint needs any more, and deleting those.
 *
 * A shared object is referenced by every `_metadata` whose workers list it in `sharedFiles`. It
 * is deleted only when no checkpoint directory still in storage references it and it was first
 * uploaded for a checkpoint id that can no longer be in flight (api/src/layout.ts sharedFileKey:
 * keys are written once, with the id of the checkpoint that uploaded them). Like Flink's
 * SharedStateRegistry, references are counted on the coordinator's side; unlike it, the count is
 * not kept in memory but recomputed from the `_metadata` documents in storage, so an operator
 * restart loses nothing.
 */
import { sharedFileCheckpointId, sharedStateDir } from '@sluice/api/layout.ts';
import { readMetadata } from '@sluice/api/metadata-store.ts';
import type { SnapshotMetadata } from '@sluice/api/metadata.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';
import { storedCheckpoints } from './checkpoint-store.ts';
import type { StorageClient } from '../s3/storage-client.ts';

/** What the decision needs from the job's status. */
export interface SharedFilePolicy {
  /** status.checkpoints.lastCompleted.id; nothing is deleted before a checkpoint completed. */
  lastCompletedId: number | undefined;
  /** status.checkpoints.inProgress.id: its uploads (and any later id) are never deleted. */
  inProgressId: number | undefined;
}

/** The shared-file keys (relative to `<jobPrefix>/shared/`) the `_metadata` documents reference. */
export function referencedSharedFiles(metadata: readonly SnapshotMetadata[]): Set<string> {
  const keys = new Set<string>();
  for (const m of metadata) for (const w of m.workers) for (const f of w.sharedFiles ?? []) keys.add(f.key);
  return keys;
}

/**
 * Which shared objects to delete. Pure. An object goes when all hold:
 * - no `_metadata` in storage references it;
 * - it is a shared-file key (objects of any other name are left alone);
 * - the checkpoint it was uploaded for is at most the last completed one, and below the one in
 *   progress: a worker uploads only for the checkpoint in progress, so a later upload is never raced.
 * @param keys object keys relative to `<jobPrefix>/shared/`
 * @returns the keys to delete, in the given order
 */
export function sharedFilesToDelete(
  keys: readonly string[],
  referenced: ReadonlySet<string>,
  policy: SharedFilePolicy,
): string[] {
  const last = policy.lastCompletedId;
  if (last === undefined) return [];
  return keys.filter((key) => {
    if (referenced.has(key)) return false;
    const id = sharedFileCheckpointId(key);
    if (id === undefined || id > last) return false;
    return policy.inProgressId === undefined || id < policy.inProgressId;
  });
}

/**
 * Why the shared files `metadata` lists cannot be restored, or undefined when every one is in
 * storage with its listed size (a restore checks sha256 too; this is the operator's cheap check
 * before choosing a restore source, docs/state.md "Restore"). Pure.
 * @param sizes object name → size of everything under `<jobPrefix>/shared/`
 * @param sharedRoot `<jobPrefix>/shared/`
 */
export function sharedFilesProblem(
  metadata: SnapshotMetadata,
  sizes: ReadonlyMap<string, number>,
  sharedRoot: string,
  bucket: string,
): string | undefined {
  for (const w of metadata.workers) {
    for (const f of w.sharedFiles ?? []) {
      const size = sizes.get(`${sharedRoot}${f.key}`);
      const where = `shared state file s3://${bucket}/${sharedRoot}${f.key} of subtask ${w.subtask}`;
      if (size === undefined) return `${where} does not exist`;
      if (size !== f.bytes) return `${where} is ${size} bytes, _metadata lists ${f.bytes}`;
    }
  }
  return undefined;
}

/**
 * Deletes the shared objects no checkpoint in storage references ({@link sharedFilesToDelete}).
 * Reads the `_metadata` of every completed checkpoint directory still in storage (run it after
 * retention, so the deleted ones no longer count). When one of them cannot be read, nothing is
 * deleted: its references are unknown.
 * @returns the keys deleted (relative to `<jobPrefix>/shared/`)
 * @throws the storage client's error when listing or deleting fails (the next run retries)
 */
export async function collectSharedFiles(
  job: StreamJob,
  storage: EffectiveStorage,
  s3: StorageClient,
): Promise<string[]> {
  const root = `${sharedStateDir(storage.jobPrefix)}/`;
  const names = await s3.listNames(storage.bucket, root);
  if (names.length === 0) return [];
  const metadata: SnapshotMetadata[] = [];
  for (const [id, dir] of await storedCheckpoints(storage, s3)) {
    if (!dir.complete) continue;
    try {
      metadata.push(await readMetadata(s3, storage.bucket, `${storage.jobPrefix}/checkpoints/chk-${id}`));
    } catch {
      return [];
    }
  }
  const keys = names.map((n) => n.slice(root.length));
  const doomed = sharedFilesToDelete(keys, referencedSharedFiles(metadata), {
    lastCompletedId: job.status?.checkpoints?.lastCompleted?.id,
    inProgressId: job.status?.checkpoints?.inProgress?.id,
  });
  if (doomed.length > 0)
    await s3.removeObjects(
      storage.bucket,
      doomed.map((k) => `${root}${k}`),
    );
  return doomed;
}
