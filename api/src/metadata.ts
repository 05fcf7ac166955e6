/**
 * `_metadata`: the small JSON document the coordinator writes last into a snapshot directory
 * with `If-None-Match: *`. Its presence is what makes a checkpoint or savepoint complete; a
 * restore reads it first to find each worker's files.
 */
import type { CheckpointAck, SnapshotKind } from './protocol.ts';

/** Version of the `_metadata` document format. Bump on incompatible change. */
export const METADATA_FORMAT_VERSION = 1;

/** Contents of `_metadata` (JSON). */
export interface SnapshotMetadata {
  formatVersion: number;
  id: number;
  kind: SnapshotKind;
  job: { namespace: string; name: string; uid: string };
  /** Number of key groups of the state; a restore must use the same value. */
  maxParallelism: number;
  /** Parallelism of the attempt that took the snapshot. */
  parallelism: number;
  attempt: number;
  /** One ack per subtask, in subtask order. */
  workers: CheckpointAck[];
  /** Sum of the workers' bytes. */
  bytes: number;
  triggeredAt: string;
  completedAt: string;
}

/**
 * Parses and validates a `_metadata` document.
 * @throws Error naming `source` when the JSON is malformed, of another format version, or incomplete.
 */
export function parseMetadata(text: string, source: string): SnapshotMetadata {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`snapshot metadata ${source} is not valid JSON`, { cause: err });
  }
  const m = doc as Partial<SnapshotMetadata>;
  if (m.formatVersion !== METADATA_FORMAT_VERSION) {
    throw new Error(
      `snapshot metadata ${source} has format version ${m.formatVersion}, expected ${METADATA_FORMAT_VERSION}`,
    );
  }
  if (typeof m.id !== 'number' || typeof m.maxParallelism !== 'number' || !Array.isArray(m.workers)) {
    throw new Error(`snapshot metadata ${source} lacks id, maxParallelism or workers`);
  }
  if (m.workers.length !== m.parallelism) {
    throw new Error(
      `snapshot metadata ${source} lists ${m.workers.length} workers for parallelism ${m.parallelism}`,
    );
  }
  return m as SnapshotMetadata;
}
