/**
 * `spec.initialSavepointRef` (docs/snapshots.md "Starting from a snapshot object"): a job that
 * has not started an attempt yet starts from the snapshot a StreamJobSnapshot of its namespace
 * recorded, exactly as if its `status.path` were `spec.initialSavepoint`. Pure.
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';

/** How long a job waits between looks at a referenced snapshot that is not Completed yet, ms. */
export const INITIAL_SAVEPOINT_REF_POLL_MS = 5_000;

/** The outcome: the path to start from, or why the job cannot start yet (`wait`: it may still). */
export type InitialSavepointResolution =
  { ok: true; initialSavepoint: string } | { ok: false; wait: boolean; reason: string; message: string };

/** Whether `job` needs its initialSavepointRef resolved: it names one and has never started an attempt. */
export function needsInitialSavepointRef(job: StreamJob): boolean {
  return job.spec.initialSavepointRef !== undefined && (job.status?.attempt ?? 0) === 0;
}

/**
 * Resolves `job.spec.initialSavepointRef` against `snap` (the object it names, undefined when
 * missing).
 */
export function resolveInitialSavepointRef(
  job: StreamJob,
  snap: StreamJobSnapshot | undefined,
): InitialSavepointResolution {
  const ns = job.metadata?.namespace ?? '';
  const name = job.spec.initialSavepointRef?.name ?? '';
  if (!snap) {
    return {
      ok: false,
      wait: true,
      reason: 'InitialSavepointRefNotFound',
      message: `spec.initialSavepointRef names StreamJobSnapshot ${ns}/${name}, which does not exist; the job starts once it does and has completed`,
    };
  }
  const phase = snap.status?.phase;
  if (phase === 'Failed') {
    return {
      ok: false,
      wait: false,
      reason: 'InitialSavepointRefFailed',
      message: `StreamJobSnapshot ${ns}/${name} named by spec.initialSavepointRef failed (${snap.status?.reason ?? 'unknown'}: ${snap.status?.message ?? ''}); reference another one`,
    };
  }
  if (phase !== 'Completed' || !snap.status?.path?.startsWith('s3://')) {
    return {
      ok: false,
      wait: true,
      reason: 'InitialSavepointRefPending',
      message: `waiting for StreamJobSnapshot ${ns}/${name} named by spec.initialSavepointRef to complete (phase ${phase ?? 'none yet'})`,
    };
  }
  return { ok: true, initialSavepoint: snap.status.path };
}

/** `job` with `spec.initialSavepoint` set to `path` (the reconciler's view; nothing is written). */
export function withInitialSavepoint(job: StreamJob, path: string): StreamJob {
  return { ...job, spec: { ...job.spec, initialSavepoint: path } };
}
