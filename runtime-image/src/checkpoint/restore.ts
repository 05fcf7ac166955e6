/**
 * Reads what a worker needs from a completed snapshot: `_metadata` first (its presence is what
 * makes the snapshot complete), then from every worker file listed there the header, the
 * operator sections (all of them: sources and sinks redistribute their splits/transactions
 * themselves) and only the keyed sections of key groups this worker now owns — one ranged GET
 * per file, because a file's key groups are contiguous. This is how a snapshot taken at one
 * parallelism is restored at another (rescaling by key groups).
 */
import { readMetadata } from '../../../api/src/metadata-store.ts';
import type { SnapshotMetadata } from '../../../api/src/metadata.ts';
import { KEY_GROUP_HASH, intersect, keyGroupRangeFor, rangeSize } from '../core/keygroups.ts';
import type { ObjectStore } from '../io/object-store.ts';
import { DEFAULT_STORAGE_RETRY_MS, retryStorageCall } from '../io/storage-retry.ts';
import type { TableSnapshot } from '../state/state-backend.ts';
import { SnapshotCorruptedError, openSnapshotFile, readSections } from './snapshot-codec.ts';

/** The state one worker restores. */
export interface RestoredState {
  /** Snapshot directory (object-key prefix). */
  path: string;
  metadata: SnapshotMetadata;
  /** Operator state by uid: one entry per old subtask that had it, in subtask order. */
  operatorStates: Map<string, unknown[]>;
  /** Keyed state of this worker's key groups (several entries per group when several stages had state). */
  keyed: Array<{ keyGroup: number; tables: TableSnapshot[] }>;
  /** Bytes fetched for this restore (headers and sections). */
  bytesRead: number;
}

/** The snapshot cannot be restored by this job (not corruption: a mismatch the user must resolve). */
export class RestoreError extends Error {
  override name = 'RestoreError';
}

/**
 * Loads the state of subtask `subtask` of `parallelism` from snapshot directory `path`.
 * @throws RestoreError on maxParallelism / key-group hash mismatch; SnapshotCorruptedError (naming
 *   the object and section) on checksum or format errors; Error when `_metadata` is missing
 */
export async function loadRestoredState(
  store: ObjectStore,
  path: string,
  me: { subtask: number; parallelism: number; maxParallelism: number },
): Promise<RestoredState> {
  const dir = path.replace(/\/+$/, '');
  const metadata = await retryStorageCall(() => readMetadata(store.client, store.bucket, dir), {
    deadlineMs: Date.now() + DEFAULT_STORAGE_RETRY_MS,
  });
  if (metadata.maxParallelism !== me.maxParallelism) {
    throw new RestoreError(
      `cannot restore ${store.url(dir)}: it was taken with maxParallelism ${metadata.maxParallelism}, this job has ${me.maxParallelism}; maxParallelism cannot change once a job has state`,
    );
  }
  const mine = keyGroupRangeFor(me.maxParallelism, me.parallelism, me.subtask);
  const operatorStates = new Map<string, unknown[]>();
  const keyed: RestoredState['keyed'] = [];
  let bytesRead = 0;
  for (const ack of metadata.workers) {
    for (const file of ack.files) {
      const key = `${dir}/${file}`;
      const url = store.url(key);
      const read = async (offset: number, length: number) => {
        const b = await store.getRange(key, offset, length);
        bytesRead += b.length;
        return b;
      };
      const opened = await openSnapshotFile(read, url);
      const h = opened.header;
      if (h.keyGroupHash !== KEY_GROUP_HASH) {
        throw new RestoreError(
          `cannot restore ${url}: key groups were computed with ${h.keyGroupHash}, this runtime uses ${KEY_GROUP_HASH}`,
        );
      }
      if (h.maxParallelism !== metadata.maxParallelism || h.checkpointId !== metadata.id) {
        throw new SnapshotCorruptedError(
          url,
          `header (checkpoint ${h.checkpointId}, maxParallelism ${h.maxParallelism}) does not match _metadata (checkpoint ${metadata.id}, maxParallelism ${metadata.maxParallelism})`,
          'header',
        );
      }
      const overlap = intersect(mine, h.keyGroupRange);
      const sections = await readSections(
        read,
        opened,
        url,
        (e) =>
          e.kind === 'operator' ||
          (rangeSize(overlap) > 0 && e.keyGroup! >= overlap.start && e.keyGroup! <= overlap.end),
      );
      for (const s of sections) {
        if (s.entry.kind === 'operator') {
          const uid = s.entry.name.replace(/^op\//, '');
          let list = operatorStates.get(uid);
          if (!list) operatorStates.set(uid, (list = []));
          list.push(s.value);
        } else {
          keyed.push({ keyGroup: s.entry.keyGroup!, tables: s.value as TableSnapshot[] });
        }
      }
    }
  }
  return { path: dir, metadata, operatorStates, keyed, bytesRead };
}
