/**
 * Writes a worker's part of snapshot N: waits until the parts' referenced data is durable
 * (sink uploads), writes one snapshot file (snapshot-codec.ts layout) to a local temporary file
 * section by section (snapshot-file-writer.ts) and uploads it as
 * `<request.path>/state-<subtask>.snap`; returns the ack to publish.
 *
 * Sections: `op/<uid>` (operator state: source splits, sink transactions), `kg/<g>/<stage>`
 * (keyed state of key group g from stage `stage`), and for incremental RocksDB checkpoints
 * `rocksdb/<stage>` (the stage's state handle: its shared files and small private files, see
 * docs/state.md); the ack then lists the shared files and the bytes uploaded. Keyed payloads
 * come from the parts' maps (captured at the barrier) or lazily from their streams (RocksDB
 * savepoints), merged in ascending key-group order, so memory holds at most one payload per
 * stage at a time (docs/state.md "Snapshots: two formats").
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { CheckpointAck, CheckpointRequest } from '@sluice/api/protocol.ts';
import { workerStateFile } from '@sluice/api/layout.ts';
import { KEY_GROUP_HASH, type KeyGroupRange } from '../core/keygroups.ts';
import { DEFAULT_ACK_TIMEOUT_MS } from '../control/ack-retry.ts';
import type { ObjectStore } from '../io/object-store.ts';
import type { SnapshotPart } from '../runtime/snapshot-collector.ts';
import { rocksdbSectionName, type NativeStatePart } from '../state/stage-state.ts';
import { encodePayload, keyedSectionName, type SectionInput } from './snapshot-codec.ts';
import { writeSnapshotFile, type SnapshotFileWriteOptions } from './snapshot-file-writer.ts';
import { removeStaleSnapshotTemps, snapshotTempPath } from './snapshot-temp-files.ts';

/** Who writes. */
export interface WriterIdentity {
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
  /**
   * Directory for the local temporary file: the worker's own state directory, where leftovers of
   * an earlier run of this subtask are removed first; the OS temp directory when absent (no
   * cleanup of leftovers there).
   */
  workDir?: string;
}

/** Name of the operator-state section of `uid`. */
export function operatorSectionName(uid: string): string {
  return `op/${uid}`;
}

/** The operator sections of a worker snapshot (RocksDB state handles first). */
export function operatorSectionsOf(parts: SnapshotPart[], natives: NativeStatePart[] = []): SectionInput[] {
  const sections: SectionInput[] = [];
  // RocksDB state handles of incremental checkpoints travel like operator state: every restoring
  // worker reads them and keeps those whose key groups overlap its own (state/stage-state.ts).
  for (const n of natives)
    sections.push({ name: rocksdbSectionName(n.stage), kind: 'operator', payload: encodePayload(n.handle) });
  for (const p of parts) {
    for (const o of p.operator)
      sections.push({ name: operatorSectionName(o.uid), kind: 'operator', payload: encodePayload(o.state) });
  }
  return sections;
}

type KeyedSource = { stage: number; it: AsyncIterator<[number, Uint8Array]> };

async function* sortedEntries(m: Map<number, Uint8Array>): AsyncGenerator<[number, Uint8Array]> {
  yield* [...m].sort((a, b) => a[0] - b[0]);
}

/**
 * The keyed sections of a worker snapshot, ascending by key group; sections of one key group in
 * part order. Pulls one payload at a time from each part's map or stream.
 */
export async function* keyedSectionsOf(parts: SnapshotPart[]): AsyncGenerator<SectionInput> {
  const sources: KeyedSource[] = [];
  for (const p of parts) {
    if (p.keyed.size > 0) sources.push({ stage: p.stage, it: sortedEntries(p.keyed) });
    if (p.keyedStream) sources.push({ stage: p.stage, it: p.keyedStream[Symbol.asyncIterator]() });
  }
  const heads = await Promise.all(sources.map((s) => s.it.next()));
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done) continue;
      if (pick < 0 || h.value[0] < (heads[pick]!.value as [number, Uint8Array])[0]) pick = i;
    }
    if (pick < 0) return;
    const [kg, payload] = heads[pick]!.value as [number, Uint8Array];
    yield { name: `${keyedSectionName(kg)}/${sources[pick]!.stage}`, kind: 'keyed', keyGroup: kg, payload };
    heads[pick] = await sources[pick]!.it.next();
  }
}

/**
 * Writes and uploads the snapshot file. The upload is retried across transient storage errors
 * until the checkpoint's timeout (`req.timeoutSeconds`, 600 s when absent) from the call: past
 * it the coordinator has aborted the checkpoint anyway (docs/runtime.md "Storage retries"). The
 * local temporary file is removed afterwards, also on failure, and every part's keyed stream is
 * released.
 * @param o.onSection observes each section written (tests, metrics)
 * @returns the ack: bytes = file size; the file with its size and sha256, and the key groups it
 *   holds, which the coordinator copies into `_metadata` (docs/checkpointing.md)
 * @throws Error when a part's data did not become durable, a keyed stream failed (e.g. its
 *   database was closed), the local file could not be written, or the upload failed (an
 *   ObjectStoreError naming the object and the attempts made)
 */
export async function writeWorkerSnapshot(
  store: ObjectStore,
  req: CheckpointRequest,
  me: WriterIdentity,
  parts: SnapshotPart[],
  o: Pick<SnapshotFileWriteOptions, 'onSection'> = {},
): Promise<CheckpointAck> {
  const deadlineMs = Date.now() + (req.timeoutSeconds ?? DEFAULT_ACK_TIMEOUT_MS / 1000) * 1000;
  const workDir = me.workDir ?? tmpdir();
  try {
    await Promise.all(parts.map((p) => p.durable));
    const natives = await Promise.all(parts.flatMap((p) => (p.native ? [p.native] : [])));
    // Snapshots are written one at a time (runtime/snapshot-collector.ts): none of ours is in
    // use. Only in the worker's own directory: the OS temp directory may be shared by workers of
    // other jobs (local runs).
    if (me.workDir !== undefined) await removeStaleSnapshotTemps(workDir, 'snapwrite', me.subtask);
    const path = snapshotTempPath(workDir, 'snapwrite', me.subtask);
    try {
      const file = await writeSnapshotFile(
        path,
        {
          checkpointId: req.id,
          subtask: me.subtask,
          parallelism: me.parallelism,
          maxParallelism: me.maxParallelism,
          keyGroupHash: KEY_GROUP_HASH,
          keyGroupRange: me.keyGroupRange,
        },
        operatorSectionsOf(parts, natives),
        keyedSectionsOf(parts),
        o,
      );
      const name = workerStateFile(me.subtask);
      await store.putFile(`${req.path}/${name}`, path, file.bytes, { deadlineMs });
      const shared = natives.flatMap((n) => n.sharedFiles);
      const sharedBytes = shared.reduce((sum, f) => sum + f.bytes, 0);
      return {
        id: req.id,
        subtask: me.subtask,
        bytes: file.bytes + sharedBytes,
        ...(natives.length > 0
          ? {
              sharedFiles: shared,
              uploadedBytes: file.bytes + natives.reduce((sum, n) => sum + n.uploadedBytes, 0),
            }
          : {}),
        files: [{ key: name, bytes: file.bytes, sha256: file.sha256 }],
        keyGroupRange: { start: me.keyGroupRange.start, end: me.keyGroupRange.end },
      };
    } finally {
      await rm(path, { force: true });
    }
  } finally {
    for (const p of parts) p.keyedStream?.release();
  }
}
