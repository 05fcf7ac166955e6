/**
 * The checkpoint progress check (docs/checkpointing.md "Checkpoint progress"): a running job
 * whose last completed snapshot is older than `spec.restartPolicy.checkpointProgressTimeoutSeconds`
 * is restarted from it, as the Flink Kubernetes Operator's checkpoint-progress health check
 * restarts a job that stopped checkpointing (a hung worker, a stuck sink, acks that never come).
 * Pure.
 *
 * The window counts from the latest of: the last completed checkpoint, the last completed
 * savepoint, and the moment the job last became Ready (the Ready condition's
 * lastTransitionTime) — so the time an attempt spends starting and restoring is not held against
 * it. The check only runs while the job is `Running` with Ready=True, and not while a
 * stop-with-savepoint is stopping the job (upgrade.ts).
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { findCondition, READY } from '../streamjob/conditions.ts';
import { upgradeStateOf } from '../streamjob/upgrade-state.ts';

/** status.attemptReason (and the Warning Event's reason) of a restart for lack of checkpoint progress. */
export const CHECKPOINT_PROGRESS_TIMEOUT = 'CheckpointProgressTimeout';

/** What the check says at one moment. */
export type ProgressVerdict =
  | { action: 'none' }
  /** Progressing; look again after `requeueAfterMs`, when the window would end. */
  | { action: 'wait'; requeueAfterMs: number }
  /** No progress within the window, which ended at `stalledAt` (ms). */
  | { action: 'restart'; stalledAt: number; message: string };

/**
 * Judges the job's checkpoint progress at `now` (ms); see the module comment.
 */
export function judgeCheckpointProgress(job: StreamJob, now: number): ProgressVerdict {
  const windowS = job.spec.restartPolicy.checkpointProgressTimeoutSeconds;
  const st = job.status ?? {};
  if (windowS === undefined || job.spec.state === 'suspended' || st.phase !== 'Running')
    return { action: 'none' };
  const stage = upgradeStateOf(job)?.stage;
  if (stage === 'Savepointing' || stage === 'SavepointTaken') return { action: 'none' };
  const ready = findCondition(st.conditions, READY);
  if (ready?.status !== 'True' || !ready.lastTransitionTime) return { action: 'none' };
  const checkpoint = st.checkpoints?.lastCompleted;
  const savepoint = st.savepoints?.last;
  const since = Math.max(
    Date.parse(ready.lastTransitionTime),
    checkpoint?.completedAt ? Date.parse(checkpoint.completedAt) : 0,
    savepoint?.completedAt ? Date.parse(savepoint.completedAt) : 0,
  );
  const stalledAt = since + windowS * 1000;
  if (now < stalledAt) return { action: 'wait', requeueAfterMs: stalledAt - now };
  const last = checkpoint
    ? `the last completed checkpoint is ${checkpoint.id} at ${checkpoint.completedAt}`
    : 'no checkpoint completed in this job yet';
  return {
    action: 'restart',
    stalledAt,
    message: `no checkpoint or savepoint completed within spec.restartPolicy.checkpointProgressTimeoutSeconds=${windowS}s while attempt ${st.attempt} ran (${last})`,
  };
}
