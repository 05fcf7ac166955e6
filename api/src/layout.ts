/**
 * Object-storage layout of a job's snapshots: s3://<bucket>/<prefix>/<namespace>/<job>/<job-uid>/...
 * (docs/api.md `storage.prefix`, docs/security.md "Per-job storage credentials").
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

/**
 * Directory of the files incremental checkpoints share: `<jobPrefix>/shared`. Objects here are
 * deleted only when no retained checkpoint references them (docs/state.md "Incremental checkpoints").
 */
export function sharedStateDir(jobKeyPrefix: string): string {
  return `${jobKeyPrefix}/shared`;
}

/**
 * Key (relative to sharedStateDir) of local file `fileName` of state instance `instance` (one
 * RocksDB instance of one stage of one worker, e.g. `s1-w0-3f9c2a1b`), first uploaded for
 * checkpoint `checkpointId`: `<instance>/<checkpointId>-<fileName>`. A key is written once: a
 * file uploaded for a checkpoint that did not complete is uploaded again under the next
 * checkpoint's id, so the operator may delete an unreferenced object of an id below every
 * checkpoint in progress without racing an upload.
 * @throws RangeError when `instance` or `fileName` contains `/` or is empty
 */
export function sharedFileKey(instance: string, checkpointId: number, fileName: string): string {
  if (!/^[^/]+$/.test(instance) || !/^[^/]+$/.test(fileName)) {
    throw new RangeError(`shared file key parts must be non-empty without "/": ${instance}, ${fileName}`);
  }
  return `${instance}/${checkpointId}-${fileName}`;
}

/** The checkpoint id a sharedFileKey was first uploaded for, or undefined when `key` is not one. */
export function sharedFileCheckpointId(key: string): number | undefined {
  const m = /^[^/]+\/(\d+)-[^/]+$/.exec(key);
  return m ? Number(m[1]) : undefined;
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
