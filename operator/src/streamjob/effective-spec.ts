/**
 * The spec the operator reconciles. Normally `.spec`; after a failing upgrade was rolled back
 * (lifecycle/rollback.ts) it is `status.lastStableSpec.spec` until the user changes the spec
 * again. StreamJobClient hands every job it reads or writes through {@link withEffectiveSpec},
 * so the reconciler, the checkpoint coordinator and failure recovery all see one spec.
 */
import type { StreamJob, StreamJobSpec } from '@sluice/api/streamjob.ts';

/** Whether `.spec` at the current generation was rolled back (status.rollback applies). */
export function rolledBack(job: StreamJob): boolean {
  const r = job.status?.rollback;
  return (
    r !== undefined && r.generation === job.metadata?.generation && job.status?.lastStableSpec !== undefined
  );
}

/**
 * The job with `spec` replaced by `status.lastStableSpec.spec` while {@link rolledBack};
 * otherwise `job` itself. Status writes send only status, so the substitution never reaches
 * the stored spec.
 */
export function withEffectiveSpec(job: StreamJob): StreamJob {
  if (!rolledBack(job)) return job;
  return { ...job, spec: job.status!.lastStableSpec!.spec as unknown as StreamJobSpec };
}
