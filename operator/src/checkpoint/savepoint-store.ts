/**
 * Disposal of savepoints (docs/snapshots.md "Retention"): the objects of each savepoint
 * directory are deleted first, then its entry leaves status.savepoints.history. A crash or a
 * storage error in between leaves the entry, which the next step disposes of again (deleting
 * what is already gone is a no-op): an entry may outlive its data for one retry, the data never
 * outlives its entry.
 */
import type { StorageClient } from '../s3/storage-client.ts';
import type { StreamJob, StreamJobStatus } from '@sluice/api/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import type { ReconcileContext } from '../kube/controller.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';
import type { StreamJobClient } from '../streamjob/streamjob-client.ts';
import { savepointsToDispose, type Disposal } from './savepoint-policy.ts';

/** Deletes every object under `<path>/` in the job's bucket. @returns the number deleted */
export async function deleteSnapshotObjects(
  s3: StorageClient,
  storage: EffectiveStorage,
  path: string,
): Promise<number> {
  return s3.deleteUnder(storage.bucket, `${path.replace(/\/+$/, '')}/`);
}

/** status with the disposed savepoints' history entries removed. */
export function withoutDisposed(job: StreamJob, disposed: readonly Disposal[]): StreamJobStatus {
  const ids = new Set(disposed.map((d) => d.id));
  const st = job.status ?? {};
  return {
    ...st,
    savepoints: {
      ...(st.savepoints ?? {}),
      history: (st.savepoints?.history ?? []).filter((h) => !ids.has(h.id)),
    },
  };
}

/**
 * Savepoint retention: disposes of what savepoint-policy.ts `savepointsToDispose` names — the
 * objects first, then the history entries (one status write with the resourceVersion
 * precondition), with a Normal Event `SavepointsDisposed`, then their StreamJobSnapshot records
 * (`onSavepointsDisposed`; one left by a failure there names data that is gone and says so in
 * docs/snapshots.md). A storage error is logged and retried
 * on the next step.
 * @returns the job as last written
 */
export async function disposeSavepoints(
  deps: {
    jobs: StreamJobClient;
    events: EventRecorder;
    clock: Clock;
    s3(): Promise<StorageClient>;
    /** Called after the history entries went: the records of those savepoints go last. */
    onSavepointsDisposed?(job: StreamJob, ids: number[]): Promise<void>;
  },
  job: StreamJob,
  storage: EffectiveStorage,
  subject: EventSubject,
  ctx: ReconcileContext,
): Promise<StreamJob> {
  const disposals = savepointsToDispose(job, storage.jobPrefix, deps.clock.now());
  if (disposals.length === 0) return job;
  try {
    const s3 = await deps.s3();
    for (const d of disposals) await deleteSnapshotObjects(s3, storage, d.path);
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, 'savepoint disposal failed; retried on the next step');
    return job;
  }
  const written = await deps.jobs.writeStatus(job, withoutDisposed(job, disposals));
  const what = disposals.map((d) => `${d.id} (${d.path}, ${d.why})`).join(', ');
  deps.events.record(subject, {
    type: 'Normal',
    reason: 'SavepointsDisposed',
    action: 'DisposeSavepoints',
    note: `deleted savepoint(s) ${what} per spec.savepoint.retention`,
  });
  ctx.log.info({ disposed: disposals.map((d) => d.id) }, 'disposed of savepoints');
  try {
    await deps.onSavepointsDisposed?.(
      written,
      disposals.map((d) => d.id),
    );
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, 'deleting the records of disposed savepoints failed');
  }
  return written;
}
