/**
 * Incremental checkpoints of one RocksDB instance (docs/state.md "Incremental checkpoints"): at
 * the barrier a native checkpoint hard-links the live files into a local directory
 * (native-checkpoint.ts); afterwards the immutable data files (`.sst`, `.blob`) that storage does
 * not hold yet are uploaded once to `<jobPrefix>/shared/` and referenced by every later
 * checkpoint that still has them, and the small mutable files (MANIFEST, CURRENT, OPTIONS, WAL)
 * travel inside the worker's snapshot file. This is the scheme of Flink's RocksDB incremental
 * checkpoints (RocksIncrementalSnapshotStrategy): files confirmed by a completed checkpoint are
 * reused, anything else is uploaded.
 *
 * Which uploads may be reused: only those of the last checkpoint this worker knows completed
 * ({@link IncrementalUploads.committed}). A file uploaded for a checkpoint that never completed
 * is uploaded again under the next checkpoint's id, so an object key is written once and the
 * operator's garbage collection never races an upload (api/src/layout.ts sharedFileKey).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sharedFileKey, sharedStateDir } from '@sluice/api/layout.ts';
import type { SharedFileEntry } from '@sluice/api/protocol.ts';
import type { KeyGroupRange } from '../../core/keygroups.ts';
import type { ObjectStore } from '../../io/object-store.ts';
import { createCheckpoint } from './native-checkpoint.ts';

/** Format version of {@link IncrementalStateHandle}. */
export const INCREMENTAL_HANDLE_VERSION = 1;

/** A data file of the checkpoint, in shared storage. */
export interface SharedStateFile {
  /** Local file name in the RocksDB directory, e.g. `000012.sst`. */
  name: string;
  /** Key relative to `<jobPrefix>/shared/`. */
  key: string;
  bytes: number;
  /** Lowercase hex sha256 of the file; checked before the database is opened on restore. */
  sha256: string;
}

/**
 * What a worker's snapshot file holds for one stage's RocksDB instance (the payload of section
 * `rocksdb/<stage>`, msgpack): enough to rebuild the database directory.
 */
export interface IncrementalStateHandle {
  format: number;
  stage: number;
  /** Key groups the database holds (the writing subtask's range). */
  keyGroupRange: KeyGroupRange;
  /** The RocksDB instance's id, the first part of its shared keys. */
  instance: string;
  /** RocksDB sequence number the checkpoint covers. */
  sequence: number;
  shared: SharedStateFile[];
  /** MANIFEST, CURRENT, OPTIONS and WAL files, whole. */
  private: Array<{ name: string; content: Uint8Array }>;
}

/** The synchronous part of a checkpoint: a local directory of hard links. */
export interface CapturedCheckpoint {
  id: number;
  dir: string;
  sequence: number;
  files: Array<{ name: string; bytes: number }>;
}

/** Result of uploading a captured checkpoint. */
export interface UploadedCheckpoint {
  handle: IncrementalStateHandle;
  /** Every shared file the checkpoint references, for the ack and `_metadata`. */
  sharedFiles: SharedFileEntry[];
  /** Bytes uploaded now (new shared files only; private files travel in the snapshot file). */
  uploadedBytes: number;
  /** Bytes of all shared and private files: the size of the state. */
  totalBytes: number;
}

/** Whether RocksDB file `name` is immutable once written (and may be shared between checkpoints). */
export function isSharedFile(name: string): boolean {
  return name.endsWith('.sst') || name.endsWith('.blob');
}

/** sha256 (lowercase hex) of a local file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The uploads of one RocksDB instance: captures checkpoints, uploads what storage lacks, and
 * remembers which uploads a completed checkpoint confirmed.
 */
export class IncrementalUploads {
  readonly #store: ObjectStore;
  readonly #sharedDir: string;
  readonly #workDir: string;
  readonly instance: string;
  readonly #stage: number;
  readonly #range: KeyGroupRange;
  /** Local name → upload, confirmed by the last completed checkpoint this worker knows of. */
  #confirmed = new Map<string, SharedStateFile>();
  /** Checkpoint id → its files, until it is known to be completed or superseded. */
  readonly #pending = new Map<number, Map<string, SharedStateFile>>();

  /**
   * @param o.workDir local directory for captured checkpoints (`<workDir>/chk-<id>`)
   * @param o.instance id of this RocksDB instance (unique per worker process and stage)
   * @param o.restored shared files of the checkpoint the instance was restored from unchanged
   *   (they are in storage and referenced by a completed checkpoint)
   */
  constructor(o: {
    store: ObjectStore;
    jobPrefix: string;
    workDir: string;
    instance: string;
    stage: number;
    keyGroupRange: KeyGroupRange;
    restored?: readonly SharedStateFile[];
  }) {
    this.#store = o.store;
    this.#sharedDir = sharedStateDir(o.jobPrefix);
    this.#workDir = o.workDir;
    this.instance = o.instance;
    this.#stage = o.stage;
    this.#range = o.keyGroupRange;
    for (const f of o.restored ?? []) this.#confirmed.set(f.name, f);
  }

  /**
   * Takes the local checkpoint of `db` for checkpoint `id`, synchronously: call it at the
   * barrier, after the backend's writes up to the barrier reached the database.
   * @throws Error from the native addon (see native-checkpoint.ts)
   */
  capture(db: { handle: bigint }, id: number): CapturedCheckpoint {
    const dir = join(this.#workDir, `chk-${id}`);
    const r = createCheckpoint(db, dir);
    return { id, dir, sequence: r.sequence, files: r.files };
  }

  /**
   * Uploads the captured checkpoint's shared files that the last confirmed checkpoint does not
   * hold, reads its private files, and removes the local directory.
   * @param deadlineMs uploads are retried until then (epoch ms)
   * @throws ObjectStoreError when an upload fails
   */
  async upload(c: CapturedCheckpoint, deadlineMs: number): Promise<UploadedCheckpoint> {
    const files = new Map<string, SharedStateFile>();
    const privateFiles: IncrementalStateHandle['private'] = [];
    let uploadedBytes = 0;
    let totalBytes = 0;
    try {
      for (const f of c.files) {
        totalBytes += f.bytes;
        const path = join(c.dir, f.name);
        if (!isSharedFile(f.name)) {
          privateFiles.push({ name: f.name, content: await readFile(path) });
          continue;
        }
        const known = this.#confirmed.get(f.name);
        if (known && known.bytes === f.bytes) {
          files.set(f.name, known);
          continue;
        }
        const entry: SharedStateFile = {
          name: f.name,
          key: sharedFileKey(this.instance, c.id, f.name),
          bytes: f.bytes,
          sha256: await fileSha256(path),
        };
        await this.#store.putFile(`${this.#sharedDir}/${entry.key}`, path, f.bytes, { deadlineMs });
        uploadedBytes += f.bytes;
        files.set(f.name, entry);
      }
    } finally {
      await rm(c.dir, { recursive: true, force: true });
    }
    this.#pending.set(c.id, files);
    const shared = [...files.values()];
    return {
      handle: {
        format: INCREMENTAL_HANDLE_VERSION,
        stage: this.#stage,
        keyGroupRange: this.#range,
        instance: this.instance,
        sequence: c.sequence,
        shared,
        private: privateFiles,
      },
      sharedFiles: shared.map(({ key, bytes, sha256 }) => ({ key, bytes, sha256 })),
      uploadedBytes,
      totalBytes,
    };
  }

  /**
   * Checkpoint `id` completed (the commit notice): its files become the ones later checkpoints
   * reuse; uploads of older pending checkpoints are forgotten.
   */
  committed(id: number): void {
    const files = this.#pending.get(id);
    if (files) this.#confirmed = files;
    for (const p of this.#pending.keys()) if (p <= id) this.#pending.delete(p);
  }

  /** Local names of the shared files later checkpoints may reuse without uploading (for tests and logs). */
  confirmedNames(): string[] {
    return [...this.#confirmed.keys()].sort();
  }
}
