/**
 * Snapshot objects that record the savepoints the operator took on its own account
 * (docs/snapshots.md "Snapshot objects"): for annotation requests, periodic savepoints and
 * stop-with-savepoints (upgrade, suspend). Pure: which objects a job's savepoint history calls
 * for. They are named `<job>-sp-<id>`, labelled with the job, marked `alreadyExists` (nothing is
 * triggered for them) and never owned by the job, so they outlive it like the data they name.
 */
import type { CompletedSavepoint, StreamJob } from '@sluice/api/streamjob.ts';
import {
  STREAMJOBSNAPSHOT_API_VERSION,
  STREAMJOBSNAPSHOT_KIND,
  type SnapshotOrigin,
  type StreamJobSnapshot,
  type StreamJobSnapshotStatus,
} from '@sluice/api/streamjobsnapshot.ts';
import { PERIODIC_SAVEPOINT_NONCE } from '../checkpoint/savepoint-policy.ts';
import { commonLabels } from '../streamjob/names.ts';
import { SNAPSHOT_NONCE_PREFIX, snapshotUrl } from './snapshot-progress.ts';

/** Name of the object that records savepoint `id` of job `job`. */
export function recordName(job: string, id: number): string {
  return `${job}-sp-${id}`;
}

/** Who took a savepoint, from its history nonce. */
export function originOf(nonce: string | undefined): SnapshotOrigin {
  if (nonce === undefined) return 'StopWithSavepoint';
  if (nonce === PERIODIC_SAVEPOINT_NONCE) return 'Periodic';
  return nonce.startsWith(SNAPSHOT_NONCE_PREFIX) ? 'Requested' : 'Annotation';
}

/** A record to create: the object, then its status (the status subresource is written separately). */
export interface SnapshotRecord {
  object: StreamJobSnapshot;
  status: StreamJobSnapshotStatus;
}

/**
 * The records `job`'s savepoint history calls for that do not exist yet among `existing` (the
 * namespace's snapshot objects). Savepoints requested by a snapshot object are that object's
 * already and get none.
 * @param bucket the job's storage bucket, for `status.path` URLs
 */
export function missingRecords(
  job: StreamJob,
  existing: readonly StreamJobSnapshot[],
  bucket: string | undefined,
): SnapshotRecord[] {
  const name = job.metadata!.name!;
  const namespace = job.metadata!.namespace!;
  const uid = job.metadata!.uid!;
  const have = new Set(existing.map((s) => s.metadata?.name));
  return (job.status?.savepoints?.history ?? [])
    .filter((h) => originOf(h.nonce) !== 'Requested' && !have.has(recordName(name, h.id)))
    .map((h) => ({
      object: {
        apiVersion: STREAMJOBSNAPSHOT_API_VERSION,
        kind: STREAMJOBSNAPSHOT_KIND,
        metadata: { name: recordName(name, h.id), namespace, labels: commonLabels(name) },
        spec: { jobName: name, kind: 'savepoint', alreadyExists: true, disposeOnDelete: false },
      },
      status: recordStatus(h, uid, bucket),
    }));
}

/** The status of the record of history entry `h`. */
export function recordStatus(
  h: CompletedSavepoint,
  jobUid: string,
  bucket: string | undefined,
): StreamJobSnapshotStatus {
  const path = snapshotUrl(bucket, h.path);
  return {
    observedGeneration: 1,
    phase: 'Completed',
    origin: originOf(h.nonce),
    ...(h.nonce !== undefined ? { nonce: h.nonce } : {}),
    id: h.id,
    path,
    ...(h.bytes !== undefined ? { bytes: h.bytes } : {}),
    jobUid,
    ...(h.completedAt ? { completedAt: h.completedAt } : {}),
    message: `savepoint ${h.id} completed at ${path}`,
  };
}

/**
 * The snapshot objects of `job` (by `spec.jobName` and the recorded job uid) whose savepoint
 * retention disposed of: their data is gone, so the records go too (data first, record after).
 * @param disposedIds ids of the savepoints whose objects were deleted from storage
 */
export function recordsOfDisposed(
  job: StreamJob,
  existing: readonly StreamJobSnapshot[],
  disposedIds: ReadonlySet<number>,
): StreamJobSnapshot[] {
  return existing.filter(
    (s) =>
      s.spec.jobName === job.metadata?.name &&
      s.spec.kind === 'savepoint' &&
      s.status?.jobUid === job.metadata?.uid &&
      s.status?.id !== undefined &&
      disposedIds.has(s.status.id),
  );
}
