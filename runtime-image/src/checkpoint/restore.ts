/**
 * Reads what a worker needs from a completed snapshot (docs/runtime.md "Restore"): `_metadata`
 * first (its presence is what makes the snapshot complete), checked before any state is used —
 * its MAC under the job's snapshot key when the snapshot is the job's own, that its subtasks'
 * key-group ranges cover every key group exactly once and list their files
 * (metadata-coverage.ts) — then every file listed there, read whole and checked against its
 * listed size and sha256, of which the worker decodes the header, the operator sections (all of
 * them: sources and sinks redistribute their splits/transactions themselves) and only the keyed
 * sections of key groups it now owns. This is how a snapshot taken at one parallelism is
 * restored at another (rescaling by key groups).
 */
import { createHash } from 'node:crypto';
import { isUnderJobPrefix } from '../../../api/src/layout.ts';
import { metadataCoverageProblem } from '../../../api/src/metadata-coverage.ts';
import { readMetadata } from '../../../api/src/metadata-store.ts';
import type { SnapshotMetadata } from '../../../api/src/metadata.ts';
import type { SnapshotFileEntry } from '../../../api/src/protocol.ts';
import { metadataMacProblem } from '../../../api/src/snapshot-mac.ts';
import { KEY_GROUP_HASH, intersect, keyGroupRangeFor, rangeSize } from '../core/keygroups.ts';
import { ObjectStoreError, type ObjectStore } from '../io/object-store.ts';
import { DEFAULT_STORAGE_RETRY_MS, retryStorageCall } from '../io/storage-retry.ts';
import type { TableSnapshot } from '../state/keyed-state-backend.ts';
import { SnapshotCorruptedError, bufferReader, openSnapshotFile, readSections } from './snapshot-codec.ts';

/** The state one worker restores. */
export interface RestoredState {
  /** Snapshot directory (object-key prefix). */
  path: string;
  metadata: SnapshotMetadata;
  /** Operator state by uid: one entry per old subtask that had it, in subtask order. */
  operatorStates: Map<string, unknown[]>;
  /** Keyed state of this worker's key groups (several entries per group when several stages had state). */
  keyed: Array<{ keyGroup: number; tables: TableSnapshot[] }>;
  /** Bytes fetched for this restore (every listed file, whole). */
  bytesRead: number;
  /**
   * Whether `_metadata`'s MAC was verified: false for a snapshot outside the job's own prefix
   * (e.g. spec.initialSavepoint of another job) or when the worker has no snapshot key.
   */
  authenticated: boolean;
}

/** Whose snapshot this is and how to check it (docs/security.md "Snapshot integrity"). */
export interface RestoreTrust {
  /** The job's bucket and key prefix (SLUICE_STORAGE_BUCKET / _PREFIX). */
  jobBucket: string;
  jobPrefix: string;
  /** The job's snapshot key; undefined: MACs are not checked (local runs). */
  snapshotKey: Buffer | undefined;
}

/** The snapshot cannot be restored by this job (not corruption: a mismatch the user must resolve). */
export class RestoreError extends Error {
  override name = 'RestoreError';
}

/**
 * Loads the state of subtask `subtask` of `parallelism` from snapshot directory `path`.
 * @throws RestoreError on maxParallelism / key-group hash mismatch, on a `_metadata` of the job's
 *   own prefix whose MAC does not match ("MAC does not match") or that lacks one, and on one that
 *   does not cover every key group exactly once or lists no files; SnapshotCorruptedError
 *   (naming the object, the subtask and, for a section, the section) when a listed file is
 *   missing, has another size or sha256, or fails a checksum or format check; Error when
 *   `_metadata` is missing
 */
export async function loadRestoredState(
  store: ObjectStore,
  path: string,
  me: { subtask: number; parallelism: number; maxParallelism: number },
  trust: RestoreTrust,
): Promise<RestoredState> {
  const dir = path.replace(/\/+$/, '');
  const metadata = await retryStorageCall(() => readMetadata(store.client, store.bucket, dir), {
    deadlineMs: Date.now() + DEFAULT_STORAGE_RETRY_MS,
  });
  const source = store.url(`${dir}/_metadata`);
  const own = store.bucket === trust.jobBucket && isUnderJobPrefix(trust.jobPrefix, dir);
  const authenticated = own && trust.snapshotKey !== undefined;
  if (authenticated) {
    const problem = metadataMacProblem(metadata, trust.snapshotKey!, source);
    if (problem) throw new RestoreError(`cannot restore ${store.url(dir)}: ${problem}`);
  }
  const incomplete = metadataCoverageProblem(metadata, source);
  if (incomplete) throw new RestoreError(`cannot restore ${store.url(dir)}: ${incomplete}`);
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
      const key = `${dir}/${file.key}`;
      const url = store.url(key);
      const content = await readListedFile(store, key, file, ack.subtask);
      bytesRead += content.length;
      const read = bufferReader(content);
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
      const listed = ack.keyGroupRange!;
      if (
        h.subtask !== ack.subtask ||
        h.keyGroupRange.start !== listed.start ||
        h.keyGroupRange.end !== listed.end
      ) {
        throw new SnapshotCorruptedError(
          url,
          `header (subtask ${h.subtask}, key groups ${h.keyGroupRange.start}..${h.keyGroupRange.end}) does not match _metadata (subtask ${ack.subtask}, key groups ${listed.start}..${listed.end})`,
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
  return { path: dir, metadata, operatorStates, keyed, bytesRead, authenticated };
}

/**
 * Reads the state file `key` whole and checks it against its `_metadata` entry.
 * @throws SnapshotCorruptedError naming the object and `subtask` when it is missing or its size
 *   or sha256 differ from the entry; ObjectStoreError on other storage errors
 */
async function readListedFile(
  store: ObjectStore,
  key: string,
  entry: SnapshotFileEntry,
  subtask: number,
): Promise<Buffer> {
  const url = store.url(key);
  let content: Buffer;
  try {
    content = await store.get(key);
  } catch (err) {
    if (err instanceof ObjectStoreError && (err.code === 'NoSuchKey' || err.code === 'NotFound')) {
      throw new SnapshotCorruptedError(
        url,
        `subtask ${subtask}'s state file, listed in _metadata, does not exist`,
      );
    }
    throw err;
  }
  if (content.length !== entry.bytes) {
    throw new SnapshotCorruptedError(
      url,
      `subtask ${subtask}'s state file is ${content.length} bytes, _metadata lists ${entry.bytes}`,
    );
  }
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (sha256 !== entry.sha256) {
    // Name the damaged header or section when the file's own checksums find it (they throw
    // SnapshotCorruptedError naming it); otherwise the file as a whole.
    const opened = await openSnapshotFile(bufferReader(content), url);
    await readSections(bufferReader(content), opened, url, () => true);
    throw new SnapshotCorruptedError(
      url,
      `subtask ${subtask}'s state file has sha256 ${sha256}, _metadata lists ${entry.sha256}`,
    );
  }
  return content;
}
