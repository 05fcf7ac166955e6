/**
 * `_metadata`: the small JSON document the coordinator writes last into a snapshot directory
 * with `If-None-Match: *`. Its presence is what makes a checkpoint or savepoint complete; a
 * restore reads it first to find each worker's files, checks that they cover every key group
 * (metadata-coverage.ts) and that it is authentic (snapshot-mac.ts). Format:
 * docs/checkpointing.md "The `_metadata` document".
 */
import type { CheckpointAck, SnapshotKind } from './protocol.ts';

/**
 * Version of the `_metadata` document format. Bump on incompatible change. 2: every file is
 * listed with its size and sha256, every subtask with its key-group range, and the document
 * carries a MAC. Version 1 documents are refused (docs/checkpointing.md).
 */
export const METADATA_FORMAT_VERSION = 2;

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
  /**
   * HMAC-SHA256 (lowercase hex) of the document without this field under the job's snapshot
   * key (snapshot-mac.ts). Absent only when written without a key (local runs).
   */
  mac?: string;
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
    const why =
      m.formatVersion === 1
        ? ' (written before snapshots were authenticated: its files have no sizes or hashes and it has no MAC)'
        : '';
    throw new Error(
      `snapshot metadata ${source} has format version ${m.formatVersion}, expected ${METADATA_FORMAT_VERSION}${why}`,
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
  if (m.mac !== undefined && (typeof m.mac !== 'string' || !/^[0-9a-f]{64}$/.test(m.mac))) {
    throw new Error(`snapshot metadata ${source} has a mac that is not 64 lowercase hex digits`);
  }
  return m as SnapshotMetadata;
}
