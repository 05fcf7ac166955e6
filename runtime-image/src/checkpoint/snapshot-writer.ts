/**
 * Writes a worker's part of snapshot N: waits until the parts' referenced data is durable
 * (sink uploads), encodes one snapshot file (snapshot-codec.ts) and uploads it as
 * `<request.path>/state-<subtask>.snap`; returns the ack to publish.
 *
 * Sections: `op/<uid>` (operator state: source splits, sink transactions), `kg/<g>/<stage>`
 * (keyed state of key group g from stage `stage`), and for incremental RocksDB checkpoints
 * `rocksdb/<stage>` (the stage's state handle: its shared files and small private files, see
 * docs/state.md); the ack then lists the shared files and the bytes uploaded.
 */
import { createHash } from 'node:crypto';
import type { CheckpointAck, CheckpointRequest } from '../../../api/src/protocol.ts';
import { workerStateFile } from '../../../api/src/layout.ts';
import { KEY_GROUP_HASH, type KeyGroupRange } from '../core/keygroups.ts';
import { DEFAULT_ACK_TIMEOUT_MS } from '../control/ack-retry.ts';
import type { ObjectStore } from '../io/object-store.ts';
import type { SnapshotPart } from '../runtime/snapshot-collector.ts';
import { rocksdbSectionName, type NativeStatePart } from '../state/stage-state.ts';
import { encodePayload, encodeSnapshotFile, keyedSectionName, type SectionInput } from './snapshot-codec.ts';

/** Who writes. */
export interface WriterIdentity {
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
}

/** Name of the operator-state section of `uid`. */
export function operatorSectionName(uid: string): string {
  return `op/${uid}`;
}

/** Builds the sections of a worker snapshot from its parts. */
export function sectionsOf(parts: SnapshotPart[], natives: NativeStatePart[] = []): SectionInput[] {
  const sections: SectionInput[] = [];
  // RocksDB state handles of incremental checkpoints travel like operator state: every restoring
  // worker reads them and keeps those whose key groups overlap its own (state/stage-state.ts).
  for (const n of natives)
    sections.push({ name: rocksdbSectionName(n.stage), kind: 'operator', payload: encodePayload(n.handle) });
  for (const p of parts) {
    for (const o of p.operator)
      sections.push({ name: operatorSectionName(o.uid), kind: 'operator', payload: encodePayload(o.state) });
    for (const [kg, payload] of p.keyed) {
      sections.push({ name: `${keyedSectionName(kg)}/${p.stage}`, kind: 'keyed', keyGroup: kg, payload });
    }
  }
  return sections;
}

/**
 * Encodes and uploads the snapshot file. The upload is retried across transient storage errors
 * until the checkpoint's timeout (`req.timeoutSeconds`, 600 s when absent) from the call: past
 * it the coordinator has aborted the checkpoint anyway (docs/runtime.md "Storage retries").
 * @returns the ack: bytes = file size; the file with its size and sha256, and the key groups it
 *   holds, which the coordinator copies into `_metadata` (docs/checkpointing.md)
 * @throws Error when a part's data did not become durable, or the upload failed (an
 *   ObjectStoreError naming the object and the attempts made)
 */
export async function writeWorkerSnapshot(
  store: ObjectStore,
  req: CheckpointRequest,
  me: WriterIdentity,
  parts: SnapshotPart[],
): Promise<CheckpointAck> {
  const deadlineMs = Date.now() + (req.timeoutSeconds ?? DEFAULT_ACK_TIMEOUT_MS / 1000) * 1000;
  await Promise.all(parts.map((p) => p.durable));
  const natives = await Promise.all(parts.flatMap((p) => (p.native ? [p.native] : [])));
  const file = await encodeSnapshotFile(
    {
      checkpointId: req.id,
      subtask: me.subtask,
      parallelism: me.parallelism,
      maxParallelism: me.maxParallelism,
      keyGroupHash: KEY_GROUP_HASH,
      keyGroupRange: me.keyGroupRange,
    },
    sectionsOf(parts, natives),
  );
  const name = workerStateFile(me.subtask);
  await store.put(
    `${req.path}/${name}`,
    file,
    { 'Content-Type': 'application/octet-stream' },
    { deadlineMs },
  );
  const sha256 = createHash('sha256').update(file).digest('hex');
  const shared = natives.flatMap((n) => n.sharedFiles);
  const sharedBytes = shared.reduce((sum, f) => sum + f.bytes, 0);
  return {
    id: req.id,
    subtask: me.subtask,
    bytes: file.length + sharedBytes,
    ...(natives.length > 0
      ? {
          sharedFiles: shared,
          uploadedBytes: file.length + natives.reduce((sum, n) => sum + n.uploadedBytes, 0),
        }
      : {}),
    files: [{ key: name, bytes: file.length, sha256 }],
    keyGroupRange: { start: me.keyGroupRange.start, end: me.keyGroupRange.end },
  };
}
