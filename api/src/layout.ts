/**
 * Object-storage layout of a job's snapshots (DESIGN: s3://<bucket>/<prefix>/<namespace>/<job>/<job-uid>/...).
 * Every function returns an object key (no bucket, no leading slash).
 */

/** Key prefix of everything a job stores: `<prefix>/<namespace>/<job>/<uid>` (empty prefix allowed). */
export function jobPrefix(prefix: string, namespace: string, job: string, uid: string): string {
  return [prefix.replace(/^\/+|\/+$/g, ''), namespace, job, uid].filter((p) => p !== '').join('/');
}

/** Directory of checkpoint `id`: `<jobPrefix>/checkpoints/chk-<id>`. */
export function checkpointDir(jobKeyPrefix: string, id: number): string {
  return `${jobKeyPrefix}/checkpoints/chk-${id}`;
}

/** Directory of savepoint `id` taken for request `nonce`: `<jobPrefix>/savepoints/sp-<id>-<nonce>`. */
export function savepointDir(jobKeyPrefix: string, id: number, nonce: string): string {
  return `${jobKeyPrefix}/savepoints/sp-${id}-${nonce.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** Name of the completion marker in a snapshot directory; written last by the coordinator. */
export const METADATA_FILE = '_metadata';

/** Key of a snapshot directory's `_metadata`. */
export function metadataKey(snapshotDir: string): string {
  return `${snapshotDir}/${METADATA_FILE}`;
}

/**
 * Name (relative to the snapshot directory) of the state file worker `subtask` uploads; it is
 * what the worker lists in `CheckpointAck.files`. Format: runtime-image snapshot-codec.ts.
 */
export function workerStateFile(subtask: number): string {
  return `state-${subtask}.snap`;
}

/**
 * Whether snapshot directory `snapshotDir` (an object key in the job's bucket) lies under the
 * job's own prefix `jobKeyPrefix` — a snapshot the job wrote itself, whose `_metadata` must carry
 * the job's MAC (docs/security.md "Snapshot integrity").
 */
export function isUnderJobPrefix(jobKeyPrefix: string, snapshotDir: string): boolean {
  const prefix = jobKeyPrefix.replace(/\/+$/, '');
  return prefix !== '' && snapshotDir.replace(/^\/+/, '').startsWith(`${prefix}/`);
}
