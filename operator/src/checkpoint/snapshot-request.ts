/**
 * The protocol's request of a snapshot as the coordinator writes it again after a crash
 * (docs/checkpointing.md "Protocol (operator ↔ workers)", crash safety), and whom a snapshot
 * serves, for Event notes.
 */
import type { CheckpointRequest, SnapshotKind } from '@sluice/api/protocol.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { isRequestNonce, PERIODIC_SAVEPOINT_NONCE } from './savepoint-policy.ts';
import { checkpointRequest } from './snapshot-status.ts';

/** spec.savepoint/checkpoint.timeoutSeconds of a snapshot of `kind` (workers retry acks this long). */
export function snapshotTimeoutSeconds(job: StreamJob, kind: SnapshotKind): number {
  return kind === 'savepoint' ? job.spec.savepoint.timeoutSeconds : job.spec.checkpoint.timeoutSeconds;
}

/**
 * The request of the snapshot in progress (`status.checkpoints.inProgress`) as it was triggered,
 * for writing it again after a crash; undefined when none is in progress.
 * @param now epoch ms, when the status lacks `triggeredAt`
 * @param stopWithSavepoint whether the job wants a stop-with-savepoint (upgrade.ts); only an
 *   operator savepoint (no nonce) is one
 */
export function inProgressRequest(
  job: StreamJob,
  now: number,
  stopWithSavepoint: boolean,
): CheckpointRequest | undefined {
  const inProgress = job.status?.checkpoints?.inProgress;
  if (!inProgress?.path) return undefined;
  const kind = inProgress.kind ?? 'checkpoint';
  return checkpointRequest({
    id: inProgress.id,
    attempt: job.status?.attempt ?? 0,
    kind,
    nonce: inProgress.nonce,
    path: inProgress.path,
    stop: kind === 'savepoint' && inProgress.nonce === undefined && stopWithSavepoint,
    now: inProgress.triggeredAt ? Date.parse(inProgress.triggeredAt) : now,
    timeoutSeconds: snapshotTimeoutSeconds(job, kind),
  });
}

/** For Event notes: whom a snapshot serves (` for request <nonce>`, ` (periodic)`, or nothing). */
export function servedBy(nonce: string | undefined): string {
  if (isRequestNonce(nonce)) return ` for request ${nonce}`;
  return nonce === PERIODIC_SAVEPOINT_NONCE ? ' (periodic)' : '';
}
