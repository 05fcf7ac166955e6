/**
 * `spec.onDelete` (docs/snapshots.md "When a job is deleted"): what deleting a StreamJob does
 * with its state, carried out by the finalizer `sluice.dev/on-delete` that the reconciler keeps
 * on every job whose policy is not `keep`.
 *
 * - `keep`: no finalizer; checkpoints and savepoints stay in storage.
 * - `savepoint`: while the job is being deleted it is reconciled as if suspended in savepoint
 *   mode (suspend's stop-with-savepoint, upgrade.ts), so a running job takes a final savepoint
 *   before its workers go; its savepoints are recorded as StreamJobSnapshots (which outlive the
 *   job), then the finalizer goes. Kubernetes deletes the pods only after that (background
 *   cascading deletion; with `--cascade=foreground` the pods go first and no final savepoint is
 *   possible).
 * - `delete`: the job is reconciled as suspended in last-state mode (workers deleted, nothing
 *   taken), then every object under `<jobPrefix>/checkpoints/`, `savepoints/` and `shared/` is
 *   deleted except the savepoint directories a StreamJobSnapshot with `disposeOnDelete: false`
 *   names (the operator's records are such objects: recorded savepoints stay).
 *
 * Bounded: past `deletionBoundMs` after the deletion the finalizer goes whatever is left, with a
 * Warning Event (`FinalSavepointMissing`, `JobDataLeft`) saying what.
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';

/** The finalizer of `spec.onDelete` savepoint and delete. */
export const ON_DELETE_FINALIZER = 'sluice.dev/on-delete';
/** Bound of the `delete` policy's work after the workers are gone, ms. */
export const ON_DELETE_DATA_BOUND_MS = 60_000;

/** The job's finalizers as they should be: with ON_DELETE_FINALIZER exactly when its policy needs it. */
export function wantedFinalizers(job: StreamJob): string[] {
  const others = (job.metadata?.finalizers ?? []).filter((f) => f !== ON_DELETE_FINALIZER);
  return job.spec.onDelete === 'keep' ? others : [...others, ON_DELETE_FINALIZER];
}

/** Whether the job's finalizers differ from {@link wantedFinalizers} (a metadata patch is due). */
export function finalizersNeedUpdate(job: StreamJob): boolean {
  return (job.metadata?.finalizers ?? []).includes(ON_DELETE_FINALIZER) !== (job.spec.onDelete !== 'keep');
}

/**
 * How long after the deletion the finalizer may hold the job, ms: for `savepoint` the savepoint
 * timeout plus the workers' grace (30 s), for `delete` the data bound plus the same grace.
 */
export function deletionBoundMs(job: StreamJob): number {
  const grace = 30_000;
  return job.spec.onDelete === 'savepoint'
    ? job.spec.savepoint.timeoutSeconds * 1000 + grace
    : ON_DELETE_DATA_BOUND_MS + grace;
}

/** The job as the reconciler drives it while being deleted: suspended in the mode its policy needs. */
export function stoppingView(job: StreamJob): StreamJob {
  return {
    ...job,
    spec: {
      ...job.spec,
      state: 'suspended',
      upgradeMode: job.spec.onDelete === 'savepoint' ? 'savepoint' : 'last-state',
    },
  };
}

/** Whether the job's workers are gone (or never ran): the finalizer's own work can start. */
export function workersStopped(job: StreamJob): boolean {
  const phase = job.status?.phase;
  return (
    (job.status?.attempt ?? 0) === 0 || phase === 'Suspended' || phase === 'Finished' || phase === 'Failed'
  );
}

/** Whether a savepoint completed after the deletion started (the final savepoint). */
export function finalSavepointTaken(job: StreamJob): boolean {
  const at = job.status?.savepoints?.last?.completedAt;
  const deleted = job.metadata?.deletionTimestamp;
  if (!at || !deleted) return false;
  return Date.parse(at) >= new Date(deleted as Date | string).getTime() - 1000;
}

/**
 * Key prefixes of the savepoint directories the `delete` policy keeps: those a snapshot object
 * of this job (same uid) with `disposeOnDelete: false` names (`status.path` `s3://<bucket>/<dir>`).
 */
export function keptSavepointDirs(job: StreamJob, snapshots: readonly StreamJobSnapshot[]): string[] {
  return snapshots
    .filter(
      (s) =>
        s.spec.jobName === job.metadata?.name &&
        s.status?.jobUid === job.metadata?.uid &&
        !s.spec.disposeOnDelete &&
        s.status?.path,
    )
    .map((s) => s.status!.path!.replace(/^s3:\/\/[^/]+\//, '').replace(/\/+$/, ''));
}

/**
 * Whether the `delete` policy deletes object `name` (a name under `<jobPrefix>/`): everything
 * under the job's checkpoints, savepoints and shared checkpoint files except what
 * {@link keptSavepointDirs} keeps (recorded savepoints are self-contained: they reference no shared file).
 */
export function deletedOnDelete(jobPrefix: string, name: string, kept: readonly string[]): boolean {
  const areas = [`${jobPrefix}/checkpoints/`, `${jobPrefix}/savepoints/`, `${jobPrefix}/shared/`];
  return areas.some((a) => name.startsWith(a)) && !kept.some((k) => name.startsWith(`${k}/`));
}
