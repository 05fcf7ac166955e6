/**
 * Event predicates of the snapshot controllers (docs/snapshots.md "Snapshot objects"): which
 * StreamJob and StreamJobSnapshot updates enqueue work. Pure; snapshot-controllers.ts calls them.
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';

/**
 * Whether a job update can matter to its snapshot objects or records: a resync, a changed
 * `status.lastHandledRequests` or `status.savepoints.history`, or another uid (the job was
 * deleted and created again under the same name).
 */
export function jobSnapshotsChanged(a: StreamJob, b: StreamJob): boolean {
  if (a === b) return true; // resync
  return (
    JSON.stringify(a.status?.lastHandledRequests ?? {}) !==
      JSON.stringify(b.status?.lastHandledRequests ?? {}) ||
    JSON.stringify(a.status?.savepoints?.history ?? []) !==
      JSON.stringify(b.status?.savepoints?.history ?? []) ||
    a.metadata?.uid !== b.metadata?.uid
  );
}

/**
 * Whether a snapshot update needs a reconcile: a resync, a new generation (spec), the start or
 * end of deletion, or changed finalizers — not a write of status only (the operator's own).
 */
export function snapshotChangeMatters(a: StreamJobSnapshot, b: StreamJobSnapshot): boolean {
  if (a === b) return true;
  return (
    a.metadata?.generation !== b.metadata?.generation ||
    (b.metadata?.deletionTimestamp !== undefined) !== (a.metadata?.deletionTimestamp !== undefined) ||
    JSON.stringify(a.metadata?.finalizers ?? []) !== JSON.stringify(b.metadata?.finalizers ?? [])
  );
}
