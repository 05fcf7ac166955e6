/**
 * What a StreamJobSnapshot object needs next (docs/snapshots.md "Snapshot objects"). Pure: the
 * reconciler (snapshot-reconciler.ts) reads the object and its StreamJob and carries the step out.
 *
 * A requested snapshot goes through the job's own request path: the object writes its nonce
 * `sjs.<object uid>` into the job's `sluice.dev/savepoint` (or `sluice.dev/checkpoint`)
 * annotation — only when no other request of that kind is pending, so a user's annotation is
 * never overwritten — and then follows `status.lastHandledRequests.<kind>` of the job:
 * Accepted → InProgress (id, path), Completed → Completed (bytes from the savepoint history or
 * the last completed checkpoint), Rejected/Failed → Failed with the job's message.
 */
import type { CompletedSavepoint, StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot, StreamJobSnapshotStatus } from '@sluice/api/streamjobsnapshot.ts';
import { REQUEST_ANNOTATIONS } from '../streamjob/requests.ts';

/** Prefix of the request nonces of snapshot objects (`sjs.<uid>`: 40 characters, a valid nonce). */
export const SNAPSHOT_NONCE_PREFIX = 'sjs.';

/** The request nonce of snapshot object `snap`. */
export function snapshotNonce(snap: StreamJobSnapshot): string {
  return `${SNAPSHOT_NONCE_PREFIX}${snap.metadata?.uid ?? ''}`;
}

/** One step for a snapshot object. `status` is the object's next status (written when it differs). */
export type SnapshotStep =
  /** Nothing to do: recorded (alreadyExists), or Completed/Failed already. */
  | { action: 'none' }
  /** Write `nonce` into the job's `annotation`, then `status` (Pending). */
  | { action: 'request'; annotation: string; nonce: string; status: StreamJobSnapshotStatus }
  /** Write `status` (it may be unchanged) and look again later or on the job's next change. */
  | { action: 'status'; status: StreamJobSnapshotStatus; done: boolean };

/** `s3://<bucket>/<dir>` for a directory of the job's bucket; the bare key when the bucket is unknown. */
export function snapshotUrl(bucket: string | undefined, dir: string): string {
  return bucket ? `s3://${bucket}/${dir.replace(/^\/+/, '')}` : dir;
}

/**
 * The next step for `snap` given its job as read now (undefined: no such job).
 * @param bucket the job's storage bucket (streamjob/storage.ts), for `status.path` URLs
 * @param now epoch ms, for timestamps the job did not provide
 */
export function nextSnapshotStep(
  snap: StreamJobSnapshot,
  job: StreamJob | undefined,
  bucket: string | undefined,
  now: number,
): SnapshotStep {
  const st = snap.status ?? {};
  if (snap.spec.alreadyExists || st.phase === 'Completed' || st.phase === 'Failed') return { action: 'none' };
  const generation = { observedGeneration: snap.metadata?.generation ?? 0 };
  const ns = snap.metadata?.namespace ?? '';
  if (!job) {
    return {
      action: 'status',
      done: true,
      status: {
        ...st,
        ...generation,
        phase: 'Failed',
        reason: 'JobNotFound',
        message: `StreamJob ${ns}/${snap.spec.jobName} does not exist`,
      },
    };
  }
  if (st.jobUid !== undefined && job.metadata?.uid !== st.jobUid) {
    return {
      action: 'status',
      done: true,
      status: {
        ...st,
        ...generation,
        phase: 'Failed',
        reason: 'JobReplaced',
        message: `StreamJob ${ns}/${snap.spec.jobName} was deleted and created again before the ${snap.spec.kind} was taken`,
      },
    };
  }
  const kind = snap.spec.kind;
  const nonce = snapshotNonce(snap);
  const annotation = REQUEST_ANNOTATIONS[kind];
  const base: StreamJobSnapshotStatus = {
    ...st,
    ...generation,
    origin: 'Requested',
    nonce,
    jobUid: job.metadata?.uid ?? '',
  };
  const handled = job.status?.lastHandledRequests?.[kind];
  const recorded = kind === 'savepoint' ? savepointOf(job, nonce) : undefined;
  if (recorded) return { action: 'status', done: true, status: completed(base, recorded, bucket, now) };
  if (handled?.nonce === nonce) {
    const at = handled.handledAt ?? new Date(now).toISOString();
    const where = {
      ...(handled.id !== undefined ? { id: handled.id } : {}),
      ...(handled.path ? { path: snapshotUrl(bucket, handled.path) } : {}),
    };
    switch (handled.result) {
      case 'Accepted':
        return {
          action: 'status',
          done: false,
          status: {
            ...base,
            ...where,
            phase: 'InProgress',
            triggeredAt: st.triggeredAt ?? at,
            message: handled.message ?? '',
          },
        };
      case 'Completed': {
        const last = job.status?.checkpoints?.lastCompleted;
        const bytes = last && last.id === handled.id ? last.bytes : undefined;
        return {
          action: 'status',
          done: true,
          status: {
            ...base,
            ...where,
            phase: 'Completed',
            ...(bytes !== undefined ? { bytes } : {}),
            completedAt: at,
            message: handled.message ?? '',
          },
        };
      }
      default:
        return {
          action: 'status',
          done: true,
          status: {
            ...base,
            ...where,
            phase: 'Failed',
            reason: handled.result === 'Rejected' ? 'RequestRejected' : 'SnapshotFailed',
            message: handled.message ?? `${kind} request ${nonce} ${handled.result.toLowerCase()}`,
          },
        };
    }
  }
  const value = job.metadata?.annotations?.[annotation];
  if (value === nonce) {
    return {
      action: 'status',
      done: false,
      status: {
        ...base,
        phase: st.phase ?? 'Pending',
        message: `${annotation}=${nonce} set on StreamJob ${ns}/${snap.spec.jobName}; waiting for the ${kind} to be triggered`,
      },
    };
  }
  if (st.nonce === nonce && st.phase !== undefined) {
    // Ours was written and then replaced by someone else's value before it was handled.
    return {
      action: 'status',
      done: true,
      status: {
        ...base,
        phase: 'Failed',
        reason: 'RequestSuperseded',
        message: `${annotation} of StreamJob ${ns}/${snap.spec.jobName} was changed to ${JSON.stringify(value ?? null)} before this ${kind} request was handled; create a new StreamJobSnapshot`,
      },
    };
  }
  if (value !== undefined && handled?.nonce !== value) {
    return {
      action: 'status',
      done: false,
      status: {
        ...base,
        phase: 'Pending',
        message: `waiting for the pending ${annotation}=${value} request of StreamJob ${ns}/${snap.spec.jobName} to be handled first`,
      },
    };
  }
  return {
    action: 'request',
    annotation,
    nonce,
    status: {
      ...base,
      phase: 'Pending',
      message: `${annotation}=${nonce} set on StreamJob ${ns}/${snap.spec.jobName}; waiting for the ${kind} to be triggered`,
    },
  };
}

/** The job's savepoint history entry with request nonce `nonce`, if any. */
function savepointOf(job: StreamJob, nonce: string): CompletedSavepoint | undefined {
  return (job.status?.savepoints?.history ?? []).find((h) => h.nonce === nonce);
}

function completed(
  base: StreamJobSnapshotStatus,
  sp: CompletedSavepoint,
  bucket: string | undefined,
  now: number,
): StreamJobSnapshotStatus {
  const { reason: _r, ...rest } = base;
  return {
    ...rest,
    phase: 'Completed',
    id: sp.id,
    path: snapshotUrl(bucket, sp.path),
    ...(sp.bytes !== undefined ? { bytes: sp.bytes } : {}),
    completedAt: sp.completedAt ?? new Date(now).toISOString(),
    message: `savepoint ${sp.id} completed at ${snapshotUrl(bucket, sp.path)}`,
  };
}
