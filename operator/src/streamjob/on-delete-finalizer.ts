/**
 * The I/O of the onDelete finalizer (decisions in on-delete.ts; docs/snapshots.md "When a job is
 * deleted"): while the job's workers run and the bound allows, the reconciler drives the job's
 * stopping view; then the policy's own work (record the savepoints, or delete the data), Events,
 * and the finalizer goes.
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import { done, requeueAfter, type ReconcileContext, type ReconcileResult } from '../kube/controller.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import {
  deletionBoundMs,
  finalSavepointTaken,
  ON_DELETE_FINALIZER,
  stoppingView,
  workersStopped,
} from './on-delete.ts';
import type { StreamJobClient } from './streamjob-client.ts';

/** The finalizer's I/O hooks; both throw on storage or API errors (retried within the bound). */
export interface OnDeleteHooks {
  /** Records the job's savepoints as StreamJobSnapshots (snapshot-record-reconciler.ts). */
  recordSavepoints(job: StreamJob, ctx: ReconcileContext): Promise<void>;
  /** Deletes the job's checkpoints and unrecorded savepoints; returns the number of objects deleted. */
  deleteData(job: StreamJob, ctx: ReconcileContext): Promise<number>;
}

/** What {@link finalizeDeletion} works with. */
export interface FinalizerDeps {
  jobs: StreamJobClient;
  events: EventRecorder;
  clock: Clock;
  hooks: OnDeleteHooks;
  subject: EventSubject;
}

/**
 * One step of the finalizer for `job` (being deleted, holding ON_DELETE_FINALIZER).
 * @param reconcileStopping reconciles a stopping view of the job (the reconciler's steps)
 * @returns when to look again; done once the finalizer is removed
 */
export async function finalizeDeletion(
  d: FinalizerDeps,
  job: StreamJob,
  ctx: ReconcileContext,
  reconcileStopping: (view: StreamJob) => Promise<ReconcileResult>,
): Promise<ReconcileResult> {
  const deletedAt = new Date(job.metadata!.deletionTimestamp as Date | string).getTime();
  const elapsed = d.clock.now() - deletedAt;
  const withinBound = elapsed < deletionBoundMs(job);
  if (!workersStopped(job) && withinBound) {
    const r = await reconcileStopping(stoppingView(job));
    return requeueAfter(r.kind === 'requeue-after' ? Math.min(r.afterMs, 2000) : 1000);
  }
  if (job.spec.onDelete === 'savepoint') {
    if ((job.status?.attempt ?? 0) > 0 && !finalSavepointTaken(job)) {
      d.events.record(d.subject, {
        type: 'Warning',
        reason: 'FinalSavepointMissing',
        action: 'Delete',
        note: `no final savepoint was taken before deletion (phase ${job.status?.phase ?? 'none'}${withinBound ? '' : `, gave up after ${Math.round(elapsed / 1000)} s`}); the last checkpoint and savepoint stay in storage`,
      });
    }
    await d.hooks.recordSavepoints(job, ctx);
  } else {
    try {
      const deleted = await d.hooks.deleteData(job, ctx);
      d.events.record(d.subject, {
        type: 'Normal',
        reason: 'JobDataDeleted',
        action: 'Delete',
        note: `deleted ${deleted} checkpoint and savepoint object(s) (spec.onDelete: delete)`,
      });
    } catch (err) {
      if (withinBound) {
        ctx.log.warn({ err: (err as Error).message }, 'deleting the job data failed; retrying');
        return requeueAfter(5000);
      }
      d.events.record(d.subject, {
        type: 'Warning',
        reason: 'JobDataLeft',
        action: 'Delete',
        note: `gave up deleting the job's checkpoints and savepoints after ${Math.round(elapsed / 1000)} s: ${(err as Error).message}; they stay in storage`,
      });
    }
  }
  const finalizers = (job.metadata!.finalizers ?? []).filter((f) => f !== ON_DELETE_FINALIZER);
  await d.jobs.patchMetadata(job, { finalizers });
  ctx.log.info({ onDelete: job.spec.onDelete }, 'onDelete finalizer done');
  return done();
}
