/**
 * The keyed state of one stage on one worker, with how it is snapshotted and restored
 * (docs/state.md): the backend the configuration chooses, restored from a snapshot's canonical
 * key-group sections (savepoints, heap and full RocksDB checkpoints) or from the RocksDB state
 * handles of an incremental checkpoint (`rocksdb/<stage>` sections), and captured at the barrier
 * either as canonical payloads or as an incremental checkpoint whose upload runs afterwards.
 *
 * Restoring RocksDB handles: when the snapshot's subtask held exactly this worker's key groups,
 * its files are downloaded into the new database directory and opened (no rewrite); otherwise
 * (rescaling) each overlapping old database is downloaded into a directory of its own, opened,
 * and the key groups this worker owns are copied over in the canonical format, one key group at
 * a time.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SharedFileEntry, SnapshotKind } from '@sluice/api/protocol.ts';
import { RestoreError } from '../checkpoint/restore.ts';
import { decodePayload } from '../checkpoint/snapshot-codec.ts';
import type { StateBackendConfig } from '../config.ts';
import { intersect, rangeSize, type KeyGroupRange } from '../core/keygroups.ts';
import type { ObjectStore } from '../io/object-store.ts';
import type { CanonicalPayloadStream, KeyedStateBackend, TableSnapshot } from './keyed-state-backend.ts';
import { HeapStateBackend } from './heap-state-backend.ts';
import { stateDirName } from './state-dirs.ts';
import type { IncrementalStateHandle, IncrementalUploads } from './rocksdb/incremental-checkpoint.ts';
import type { RocksDbStateBackend } from './rocksdb/rocksdb-state-backend.ts';

/** Name of the snapshot-file section holding stage `stage`'s RocksDB state handle. */
export function rocksdbSectionName(stage: number): string {
  return `rocksdb/${stage}`;
}

/** The uploaded part of an incremental checkpoint of one stage. */
export interface NativeStatePart {
  stage: number;
  handle: IncrementalStateHandle;
  /** Every shared file the handle references (for the ack and `_metadata`). */
  sharedFiles: SharedFileEntry[];
  /** Bytes uploaded for this checkpoint. */
  uploadedBytes: number;
  /** Bytes of the whole database state. */
  totalBytes: number;
}

/** What a stage hands over at the barrier. */
export interface StateCapture {
  /** Canonical payloads by key group (empty for an incremental checkpoint and a RocksDB savepoint). */
  keyed: Map<number, Uint8Array>;
  /** RocksDB savepoints: the canonical payloads as of the barrier, read while the snapshot is written. */
  keyedStream?: CanonicalPayloadStream;
  /** Incremental checkpoints: resolves when the new files are uploaded. */
  native?: Promise<NativeStatePart>;
}

/** Where a stage's state comes from and goes to. */
export interface StageStateOptions {
  config: StateBackendConfig;
  stage: number;
  subtask: number;
  range: KeyGroupRange;
  store: ObjectStore;
  jobPrefix: string;
  /** Decoded `rocksdb/<stage>` sections of the restored snapshot (one per old subtask), if any. */
  restoredHandles?: unknown[];
  /** The restored snapshot, for messages (s3://…). */
  restoredFrom?: string;
}

export class StageState {
  readonly backend: KeyedStateBackend;
  readonly #stage: number;
  readonly #uploads: IncrementalUploads | undefined;
  readonly #checkpointDir: string | undefined;
  /** Bytes downloaded from shared storage for the restore. */
  readonly restoredBytes: number;

  private constructor(
    backend: KeyedStateBackend,
    stage: number,
    uploads: IncrementalUploads | undefined,
    checkpointDir: string | undefined,
    restoredBytes: number,
  ) {
    this.backend = backend;
    this.#stage = stage;
    this.#uploads = uploads;
    this.#checkpointDir = checkpointDir;
    this.restoredBytes = restoredBytes;
  }

  /**
   * Opens the stage's backend and restores the RocksDB handles it is given (canonical sections
   * are restored by the caller with backend.restoreGroup).
   * @throws RestoreError when the handles come from a RocksDB incremental checkpoint and the
   *   backend is heap; SnapshotCorruptedError when a shared file is missing or altered
   */
  static async open(o: StageStateOptions): Promise<StageState> {
    const handles = await decodeHandles(o);
    if (o.config.backend === 'heap') {
      if (handles.length > 0) {
        throw new RestoreError(
          `cannot restore ${o.restoredFrom}: stage ${o.stage}'s state is an incremental RocksDB checkpoint, which only the rocksdb backend restores; switch backends through a savepoint`,
        );
      }
      return new StageState(new HeapStateBackend(o.range), o.stage, undefined, undefined, 0);
    }
    const config = o.config;
    const { RocksDbStateBackend } = await import('./rocksdb/rocksdb-state-backend.ts');
    const { IncrementalUploads } = await import('./rocksdb/incremental-checkpoint.ts');
    const { downloadIncrementalState } = await import('./rocksdb/incremental-restore.ts');
    const instance = stateDirName(o.stage, o.subtask, randomBytes(4).toString('hex'));
    const dir = join(config.dir, instance);
    const same =
      handles.length === 1 && sameRange(handles[0]!.keyGroupRange, o.range) ? handles[0] : undefined;
    let restoredBytes = 0;
    if (same) restoredBytes += await downloadIncrementalState(o.store, o.jobPrefix, same, dir);
    const backend = await RocksDbStateBackend.open(dir, o.range, { memoryBytes: config.memoryBytes });
    try {
      if (!same) {
        for (const h of handles) {
          const tmp = join(config.dir, stateDirName(o.stage, o.subtask, randomBytes(4).toString('hex')));
          try {
            restoredBytes += await downloadIncrementalState(o.store, o.jobPrefix, h, tmp);
            const old = await RocksDbStateBackend.open(tmp, h.keyGroupRange, {
              memoryBytes: config.memoryBytes,
            });
            try {
              // One key group at a time: memory stays bounded by the largest key group.
              const overlap = intersect(h.keyGroupRange, o.range);
              for (let kg = overlap.start; kg <= overlap.end; kg++) {
                for (const [g, payload] of old.snapshotRange({ start: kg, end: kg }))
                  backend.restoreGroup(g, decodePayload(payload) as TableSnapshot[]);
              }
            } finally {
              await old.close();
            }
          } finally {
            await rm(tmp, { recursive: true, force: true });
          }
        }
      }
    } catch (err) {
      await backend.close();
      throw err;
    }
    const uploads = config.incremental
      ? new IncrementalUploads({
          store: o.store,
          jobPrefix: o.jobPrefix,
          workDir: `${dir}-checkpoints`,
          instance,
          stage: o.stage,
          keyGroupRange: o.range,
          ...(same ? { restored: same.shared } : {}),
        })
      : undefined;
    return new StageState(
      backend,
      o.stage,
      uploads,
      uploads ? `${dir}-checkpoints` : undefined,
      restoredBytes,
    );
  }

  /**
   * Captures the state for snapshot `id`, synchronously (call it at barrier alignment).
   * Heap snapshots: canonical payloads. RocksDB savepoints and full RocksDB checkpoints
   * (`incremental: false`): a lazy stream of canonical payloads as of now (state larger than
   * memory; docs/state.md "Snapshots: two formats"). Incremental RocksDB checkpoints: the write
   * cache is flushed, a native checkpoint taken, and the upload of the new files started
   * (`native`).
   * @param deadlineMs uploads are retried until then (epoch ms)
   */
  capture(id: number, kind: SnapshotKind, deadlineMs: number): StateCapture {
    const rocks = this.backend as RocksDbStateBackend;
    const incremental = this.#uploads !== undefined && kind === 'checkpoint';
    if (!incremental && typeof rocks.snapshotStream === 'function') {
      return { keyed: new Map(), keyedStream: rocks.snapshotStream() };
    }
    if (!this.#uploads || kind !== 'checkpoint') return { keyed: this.backend.snapshot() };
    rocks.flushSync();
    const captured = this.#uploads.capture(rocks.db as unknown as { handle: bigint }, id);
    const native = this.#uploads.upload(captured, deadlineMs).then((u) => ({ stage: this.#stage, ...u }));
    // Consumed by the snapshot writer; a rejection is reported there, not as unhandled here.
    native.catch(() => undefined);
    return { keyed: new Map(), native };
  }

  /** Snapshot `id` completed: its uploads are the ones later checkpoints reuse. */
  committed(id: number): void {
    this.#uploads?.committed(id);
  }

  /** Closes the backend; the local checkpoint directory is removed. */
  async close(): Promise<void> {
    try {
      await this.backend.close();
    } finally {
      if (this.#checkpointDir) await rm(this.#checkpointDir, { recursive: true, force: true });
    }
  }
}

function sameRange(a: KeyGroupRange, b: KeyGroupRange): boolean {
  return a.start === b.start && a.end === b.end;
}

/** The restored handles of this stage whose key groups overlap the worker's, checked. */
async function decodeHandles(o: StageStateOptions): Promise<IncrementalStateHandle[]> {
  if (!o.restoredHandles || o.restoredHandles.length === 0) return [];
  const { asIncrementalHandle } = await import('./rocksdb/incremental-restore.ts');
  return o.restoredHandles
    .map((h) =>
      asIncrementalHandle(h, `${o.restoredFrom ?? 'snapshot'} section ${rocksdbSectionName(o.stage)}`),
    )
    .filter((h) => rangeSize(intersect(h.keyGroupRange, o.range)) > 0);
}
