/**
 * Reads what a worker needs from a completed snapshot (docs/runtime.md "Restore"): `_metadata`
 * first (its presence is what makes the snapshot complete), checked before any state is used —
 * its MAC under the job's snapshot key when the snapshot is the job's own, that its subtasks'
 * key-group ranges cover every key group exactly once and list their files
 * (metadata-coverage.ts) — then every file listed there, downloaded to a local temporary file
 * and checked against its listed size and sha256, of which the worker decodes the header, the
 * operator sections (all of them: sources and sinks redistribute their splits/transactions
 * themselves) and, one section at a time as the caller consumes them, only the keyed sections
 * of key groups it now owns; so memory holds one key group's section, whatever the state's size.
 * This is how a snapshot taken at one parallelism is restored at another (rescaling by key
 * groups).
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isUnderJobPrefix } from '@sluice/api/layout.ts';
import { metadataCoverageProblem } from '@sluice/api/metadata-coverage.ts';
import { readMetadata } from '@sluice/api/metadata-store.ts';
import type { SnapshotMetadata } from '@sluice/api/metadata.ts';
import { metadataMacProblem } from '@sluice/api/snapshot-mac.ts';
import {
  KEY_GROUP_HASH,
  intersect,
  keyGroupRangeFor,
  rangeSize,
  type KeyGroupRange,
} from '../core/keygroups.ts';
import type { ObjectStore } from '../io/object-store.ts';
import { DEFAULT_STORAGE_RETRY_MS, retryStorageCall } from '../io/storage-retry.ts';
import type { TableSnapshot } from '../state/keyed-state-backend.ts';
import { downloadListedFile } from './restore-download.ts';
import { SnapshotCorruptedError } from './snapshot-codec.ts';
import { LocalSnapshotFile } from './snapshot-file-reader.ts';
import { removeStaleSnapshotTemps, snapshotTempPath } from './snapshot-temp-files.ts';

/** One key group's keyed state as restored (several per group when several stages had state). */
export interface RestoredKeyGroup {
  keyGroup: number;
  tables: TableSnapshot[];
}

/** What openRestoredState read: everything but the keyed sections, which are read on demand. */
export interface RestoredSnapshot {
  /** Snapshot directory (object-key prefix). */
  path: string;
  metadata: SnapshotMetadata;
  /** Operator state by uid: one entry per old subtask that had it, in subtask order. */
  operatorStates: Map<string, unknown[]>;
  /** Bytes fetched for this restore (every listed file, whole). */
  bytesRead: number;
  /**
   * Whether `_metadata`'s MAC was verified: false for a snapshot outside the job's own prefix
   * (e.g. spec.initialSavepoint of another job) or when the worker has no snapshot key.
   */
  authenticated: boolean;
  /**
   * The keyed sections of this worker's key groups, read from the local copies one at a time
   * (file by file, ascending key groups within a file); each local file is removed once read.
   * Iterate once.
   * @throws SnapshotCorruptedError (while iterating) naming the object and the section when a
   *   section fails its checksum or does not decode
   */
  keyedSections(): AsyncGenerator<RestoredKeyGroup>;
  /** Removes the local copies that are left (idempotent). */
  close(): Promise<void>;
}

/** The state one worker restores, with every keyed section decoded in memory (loadRestoredState). */
export interface RestoredState extends Omit<RestoredSnapshot, 'keyedSections' | 'close'> {
  /** Keyed state of this worker's key groups (several entries per group when several stages had state). */
  keyed: RestoredKeyGroup[];
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
 * Loads the state of subtask `subtask` of `parallelism` from snapshot directory `path`, every
 * keyed section decoded in memory (tests and small state; the worker uses openRestoredState).
 * @throws as openRestoredState
 */
export async function loadRestoredState(
  store: ObjectStore,
  path: string,
  me: { subtask: number; parallelism: number; maxParallelism: number },
  trust: RestoreTrust,
  workDir?: string,
): Promise<RestoredState> {
  const r = await openRestoredState(store, path, me, trust, workDir);
  try {
    const keyed: RestoredKeyGroup[] = [];
    for await (const k of r.keyedSections()) keyed.push(k);
    const { keyedSections: _k, close: _c, ...rest } = r;
    return { ...rest, keyed };
  } finally {
    await r.close();
  }
}

/** A downloaded file whose keyed sections this worker still has to read. */
interface PendingFile {
  local: string;
  url: string;
  overlap: KeyGroupRange;
}

/**
 * Opens the state of subtask `subtask` of `parallelism` from snapshot directory `path`: checks
 * `_metadata`, downloads every listed file into `workDir` (checked against its listed size and
 * sha256), checks each file's header and decodes its operator sections; the keyed sections are
 * read later through keyedSections(). Files without key groups of this worker are removed at
 * once, the others when read or on close().
 * @param workDir directory for the local copies: the worker's own state directory, where
 *   leftover downloads of an earlier run of this subtask are removed first; the OS temporary
 *   directory when absent (no cleanup of leftovers there)
 * @throws RestoreError on maxParallelism / key-group hash mismatch, on a `_metadata` of the job's
 *   own prefix whose MAC does not match ("MAC does not match") or that lacks one, and on one that
 *   does not cover every key group exactly once or lists no files; SnapshotCorruptedError
 *   (naming the object, the subtask and, for a section, the section) when a listed file is
 *   missing, has another size or sha256, or fails a checksum or format check; Error when
 *   `_metadata` is missing. Nothing is left in `workDir` when it throws.
 */
export async function openRestoredState(
  store: ObjectStore,
  path: string,
  me: { subtask: number; parallelism: number; maxParallelism: number },
  trust: RestoreTrust,
  workDir?: string,
): Promise<RestoredSnapshot> {
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
  const pending: PendingFile[] = [];
  const removeAll = () => Promise.all(pending.splice(0).map((p) => rm(p.local, { force: true })));
  let bytesRead = 0;
  // Only in the worker's own directory: the OS temp directory may be shared by other jobs' workers.
  if (workDir !== undefined) await removeStaleSnapshotTemps(workDir, 'snaprestore', me.subtask);
  const localDir = workDir ?? tmpdir();
  try {
    for (const ack of metadata.workers) {
      for (const file of ack.files) {
        const key = `${dir}/${file.key}`;
        const url = store.url(key);
        const local = snapshotTempPath(localDir, 'snaprestore', me.subtask);
        bytesRead += await downloadListedFile(store, key, file, ack.subtask, local);
        const p: PendingFile = { local, url, overlap: { start: 0, end: -1 } };
        pending.push(p);
        const f = await LocalSnapshotFile.open(local, url);
        try {
          p.overlap = intersect(mine, checkedKeyGroups(f, metadata, ack.subtask, ack.keyGroupRange!));
          for (const s of await f.read((e) => e.kind === 'operator')) {
            const uid = s.entry.name.replace(/^op\//, '');
            let list = operatorStates.get(uid);
            if (!list) operatorStates.set(uid, (list = []));
            list.push(s.value);
          }
        } finally {
          await f.close();
        }
        if (rangeSize(p.overlap) === 0) {
          pending.pop();
          await rm(local, { force: true });
        }
      }
    }
  } catch (err) {
    await removeAll();
    throw err;
  }
  return {
    path: dir,
    metadata,
    operatorStates,
    bytesRead,
    authenticated,
    keyedSections: () => keyedSectionsOf(pending),
    close: async () => {
      await removeAll();
    },
  };
}

/** Reads the keyed sections of `pending`'s files in their overlaps, removing each file once read. */
async function* keyedSectionsOf(pending: PendingFile[]): AsyncGenerator<RestoredKeyGroup> {
  while (pending.length > 0) {
    const p = pending[0]!;
    const f = await LocalSnapshotFile.open(p.local, p.url);
    try {
      const owned = (e: { kind: string; keyGroup?: number }) =>
        e.kind === 'keyed' && e.keyGroup! >= p.overlap.start && e.keyGroup! <= p.overlap.end;
      for await (const s of f.each(owned)) {
        yield { keyGroup: s.entry.keyGroup!, tables: s.value as TableSnapshot[] };
      }
    } finally {
      await f.close();
    }
    pending.shift();
    await rm(p.local, { force: true });
  }
}

/**
 * Checks a file's header against `_metadata` and this runtime.
 * @returns the key groups the file holds
 * @throws RestoreError when its key groups were computed with another hash;
 *   SnapshotCorruptedError when checkpoint id, maxParallelism, subtask or key groups differ
 *   from `_metadata`
 */
function checkedKeyGroups(
  f: LocalSnapshotFile,
  metadata: SnapshotMetadata,
  subtask: number,
  listed: KeyGroupRange,
): KeyGroupRange {
  const h = f.opened.header;
  const url = f.object;
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
  if (h.subtask !== subtask || h.keyGroupRange.start !== listed.start || h.keyGroupRange.end !== listed.end) {
    throw new SnapshotCorruptedError(
      url,
      `header (subtask ${h.subtask}, key groups ${h.keyGroupRange.start}..${h.keyGroupRange.end}) does not match _metadata (subtask ${subtask}, key groups ${listed.start}..${listed.end})`,
      'header',
    );
  }
  return h.keyGroupRange;
}
