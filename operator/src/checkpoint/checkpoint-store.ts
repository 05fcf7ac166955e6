/**
 * The job's checkpoint directories in object storage, as the operator sees them: listing
 * (`<jobPrefix>/checkpoints/chk-N/`), whether each completed (`_metadata` present) and can be
 * restored (`_metadata` valid, with the job's MAC and complete), and retention (docs/checkpointing.md "Retention", decisions in
 * retention.ts).
 */
import type { StorageClient } from '../s3/storage-client.ts';
import { metadataKey } from '@sluice/api/layout.ts';
import { parseMetadata, type SnapshotMetadata } from '@sluice/api/metadata.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';
import { unrestorableReason } from './restorable-metadata.ts';
import { checkpointIdOf, checkpointsToDelete, type StoredCheckpoint } from './retention.ts';
import { upgradeStateOf } from '../streamjob/upgrade-state.ts';

/** One checkpoint directory: its object names and whether `_metadata` is present. */
export interface CheckpointDir {
  names: string[];
  complete: boolean;
}

/** Checkpoint directories in storage by id. */
export async function storedCheckpoints(
  storage: EffectiveStorage,
  s3: StorageClient,
): Promise<Map<number, CheckpointDir>> {
  const root = `${storage.jobPrefix}/checkpoints/`;
  const byId = new Map<number, CheckpointDir>();
  for (const name of await s3.listNames(storage.bucket, root)) {
    const m = /^chk-(\d+)\/(.*)$/.exec(name.slice(root.length));
    if (!m) continue;
    const id = Number(m[1]);
    const entry = byId.get(id) ?? { names: [], complete: false };
    entry.names.push(name);
    if (m[2] === '_metadata') entry.complete = true;
    byId.set(id, entry);
  }
  return byId;
}

/**
 * Whether `<dir>/_metadata` holds valid metadata that may be restored: it parses, carries the
 * job's MAC and covers every key group (restorable-metadata.ts).
 * @throws the client's error when storage cannot be read (retention then deletes nothing)
 */
async function metadataValid(
  s3: StorageClient,
  storage: EffectiveStorage,
  dir: string,
  key: () => Promise<Buffer>,
): Promise<boolean> {
  const chunks: Buffer[] = [];
  for await (const c of await s3.getObject(storage.bucket, metadataKey(dir)))
    chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c as Uint8Array));
  let metadata: SnapshotMetadata;
  try {
    metadata = parseMetadata(
      Buffer.concat(chunks).toString('utf8'),
      `s3://${storage.bucket}/${metadataKey(dir)}`,
    );
  } catch {
    return false;
  }
  const where = { bucket: storage.bucket, dir, jobPrefix: storage.jobPrefix };
  return (await unrestorableReason(metadata, where, key)) === undefined;
}

/** Checkpoint ids that retention must keep for a restore (retention.ts RetentionPolicy.pinnedIds). */
export function pinnedCheckpointIds(job: StreamJob, jobPrefix: string): number[] {
  const st = job.status ?? {};
  return [st.restoredFrom?.path, upgradeStateOf(job)?.rollbackFrom?.path, st.rollback?.restoredFrom?.path]
    .map((p) => checkpointIdOf(p, jobPrefix))
    .filter((id): id is number => id !== undefined);
}

/**
 * Deletes checkpoint directories per retention.ts; savepoints are never touched. The completed
 * ones are read newest first until `spec.checkpoint.retained` valid ones are found, so an
 * unreadable `_metadata` does not take the place of a restorable checkpoint. Each directory's
 * `_metadata` is deleted before its other files (`onMetadataDeleted(id)` is called in between).
 * @param key the job's snapshot key (a forged `_metadata` is not restorable)
 * @returns the ids deleted
 */
export async function applyRetention(
  job: StreamJob,
  storage: EffectiveStorage,
  s3: StorageClient,
  key: () => Promise<Buffer>,
  onMetadataDeleted?: (id: number) => void,
): Promise<number[]> {
  const byId = await storedCheckpoints(storage, s3);
  const retained = job.spec.checkpoint.retained;
  const stored: StoredCheckpoint[] = [];
  let readable = 0;
  for (const [id, e] of [...byId].sort(([a], [b]) => b - a)) {
    const c: StoredCheckpoint = { id, complete: e.complete };
    if (e.complete && readable < retained) {
      const dir = `${storage.jobPrefix}/checkpoints/chk-${id}`;
      if (await metadataValid(s3, storage, dir, key)) readable++;
      else c.unreadable = true;
    }
    stored.push(c);
  }
  const ids = checkpointsToDelete(stored, {
    retained,
    lastCompletedId: job.status?.checkpoints?.lastCompleted?.id,
    inProgressId: job.status?.checkpoints?.inProgress?.id,
    pinnedIds: pinnedCheckpointIds(job, storage.jobPrefix),
  });
  // `_metadata` first: a directory half-deleted by a crash is then incomplete, never restored,
  // and deleted by the next retention like an aborted checkpoint's leftovers.
  for (const id of ids) {
    const { names, complete } = byId.get(id)!;
    const dir = `${storage.jobPrefix}/checkpoints/chk-${id}`;
    if (complete) {
      await s3.removeObjects(storage.bucket, [metadataKey(dir)]);
      onMetadataDeleted?.(id);
    }
    const files = names.filter((n) => n !== metadataKey(dir));
    if (files.length > 0) await s3.removeObjects(storage.bucket, files);
  }
  return ids;
}
