/**
 * Rollback of a failing upgrade (docs/checkpointing.md "Upgrades (`upgradeMode`)"; the rule of the Flink Kubernetes
 * Operator's `deployment.rollback.enabled` with its readiness timeout, applied to StreamJobs):
 *
 *  - `status.lastStableSpec` keeps a copy of the last spec whose attempt became Running.
 *  - A savepoint-mode upgrade starts its new attempt from the stop-with-savepoint and moves
 *    `status.upgrade` to stage `Verifying`. The attempt has `spec.upgradeTimeoutSeconds` to
 *    become Running; restarts within that time (failure recovery) keep verifying.
 *  - Past the timeout, or when the new attempt is Failed first (restart budget spent, or an error
 *    a restart cannot fix: docs/checkpointing.md), the job rolls
 *    back: the next attempt runs `lastStableSpec` restored from the same savepoint, and
 *    `status.rollback` records that `.spec` at that generation is not what runs. Restoring the
 *    savepoint is exactly-once only while the new spec has completed no snapshot of its own
 *    (its sinks commit on completed snapshots); when one completed, there is no rollback.
 *  - The operator then sees the job through withEffectiveSpec (streamjob/effective-spec.ts): `.spec` replaced by
 *    `lastStableSpec.spec` until the user changes the spec again (a new generation), which
 *    upgrades from the rolled-back attempt as usual.
 *
 * Pure functions; the reconciler applies them.
 */
import type {
  RestoredFrom,
  StatusLastStableSpec,
  StreamJob,
  StreamJobStatus,
} from '@sluice/api/streamjob.ts';
import type { EventSpec } from '../kube/events.ts';
import { DEGRADED, findCondition, rfc3339 } from '../streamjob/conditions.ts';
import { rolledBack } from '../streamjob/effective-spec.ts';
import { upgradeStateOf, type UpgradeState } from '../streamjob/upgrade-state.ts';

/**
 * The status.lastStableSpec to record now, or undefined to leave it: the job is Running on the
 * attempt of its current spec (`attemptSpecHash === specHash`), not rolled back, and the
 * recorded copy is of another generation.
 * @param specHash workerSpecHash of `job.spec`
 */
export function nextStableSpec(job: StreamJob, specHash: string): StatusLastStableSpec | undefined {
  const st = job.status;
  const generation = job.metadata?.generation;
  if (generation === undefined || st?.phase !== 'Running' || st.attemptSpecHash !== specHash)
    return undefined;
  if (rolledBack(job) || st.lastStableSpec?.generation === generation) return undefined;
  // A verification still open for this spec ends with Running; record it then, not before.
  return { generation, specHash, spec: structuredClone(job.spec) as unknown as Record<string, unknown> };
}

/**
 * status.upgrade for an upgrade's new attempt that restores `restoredFrom`: stage Verifying
 * when there is a stable spec of another shape to roll back to and a snapshot to roll back
 * from; otherwise undefined (nothing to verify).
 */
export function verifyingUpgrade(
  job: StreamJob,
  targetSpecHash: string,
  restoredFrom: RestoredFrom | undefined,
  nowMs: number,
): UpgradeState | undefined {
  const stable = job.status?.lastStableSpec;
  if (job.spec.upgradeMode !== 'savepoint' || !stable || stable.specHash === targetSpecHash || !restoredFrom)
    return undefined;
  return {
    targetSpecHash,
    stage: 'Verifying',
    rollbackFrom: restoredFrom,
    attemptParallelism: job.spec.parallelism,
    startedAt: rfc3339(nowMs),
  };
}

/** What to do about an upgrade in stage Verifying. */
export type VerificationVerdict =
  | { action: 'none' }
  /** Still within the timeout: look again after `remainingMs`. */
  | { action: 'wait'; remainingMs: number }
  /** Running: the upgrade is done (status.upgrade removed). */
  | { action: 'complete'; message: string }
  /** Timed out (or Failed) after a snapshot of the new spec completed: no rollback, upgrade ends. */
  | { action: 'abandon'; message: string }
  /** Roll back to status.lastStableSpec from `restoredFrom`. */
  | { action: 'rollback'; restoredFrom: RestoredFrom; message: string };

/** Whether a snapshot newer than `from` completed (checkpoint or savepoint; one id sequence). */
function snapshotSince(job: StreamJob, from: RestoredFrom): boolean {
  const base = from.id ?? 0;
  const st = job.status;
  return (st?.checkpoints?.lastCompleted?.id ?? 0) > base || (st?.savepoints?.last?.id ?? 0) > base;
}

/**
 * Judges an upgrade in stage Verifying against the clock (see the module comment).
 * @param nowMs epoch ms
 */
export function judgeVerification(job: StreamJob, nowMs: number): VerificationVerdict {
  const u = upgradeStateOf(job);
  if (u?.stage !== 'Verifying' || !u.rollbackFrom || job.status?.attemptSpecHash !== u.targetSpecHash)
    return { action: 'none' };
  const st = job.status!;
  const stable = st.lastStableSpec;
  if (st.phase === 'Running') {
    return {
      action: 'complete',
      message: `attempt ${st.attempt} of generation ${job.metadata?.generation} is Running`,
    };
  }
  const timeoutMs = job.spec.upgradeTimeoutSeconds * 1000;
  const elapsedMs = nowMs - Date.parse(u.startedAt);
  const failed = st.phase === 'Failed';
  if (!failed && elapsedMs < timeoutMs) return { action: 'wait', remainingMs: timeoutMs - elapsedMs };
  const cause = findCondition(st.conditions, DEGRADED)?.reason;
  const why = failed
    ? `generation ${job.metadata?.generation} failed${cause ? ` (${cause})` : ''} before it became Running`
    : `generation ${job.metadata?.generation} did not become Running within ${timeoutMs / 1000}s (spec.upgradeTimeoutSeconds)`;
  if (!stable) return { action: 'abandon', message: `${why}; there is no stable spec to roll back to` };
  if (snapshotSince(job, u.rollbackFrom)) {
    return {
      action: 'abandon',
      message: `${why}; not rolled back: the new spec completed a snapshot after ${u.rollbackFrom.path}, so restoring it would repeat committed output`,
    };
  }
  return {
    action: 'rollback',
    restoredFrom: u.rollbackFrom,
    message: `${why}; rolled back to generation ${stable.generation} from ${u.rollbackFrom.kind ?? 'snapshot'} ${u.rollbackFrom.path}; change the spec to try again`,
  };
}

/**
 * Ends a verification in the same status write that makes its attempt Running, so that no
 * reader sees `Ready=True` (phase Running) next to `status.upgrade.stage: Verifying`.
 * `next` is the status about to be written (streamjob/status.ts nextStatus); when the job with
 * it is a completed verification (judgeVerification → complete), status.upgrade is removed,
 * status.lastStableSpec becomes the running spec (nextStableSpec) and the `UpgradeCompleted`
 * Event is returned. Otherwise `next` is returned as it is, with no Event. Rollback and abandon
 * stay with the reconcile's intent (attempt-intent.ts), before any pod changes.
 * @param specHash workerSpecHash of `job.spec`
 * @param nowMs epoch ms
 */
export function settleVerification(
  job: StreamJob,
  next: StreamJobStatus,
  specHash: string,
  nowMs: number,
): { status: StreamJobStatus; event?: EventSpec } {
  const withNext: StreamJob = { ...job, status: next };
  const verdict = judgeVerification(withNext, nowMs);
  if (verdict.action !== 'complete') return { status: next };
  const status: StreamJobStatus = { ...next };
  delete status.upgrade;
  const stable = nextStableSpec(withNext, specHash);
  if (stable) status.lastStableSpec = stable;
  return { status, event: verificationEvent(verdict) };
}

/** The Event of a verification that ended: UpgradeCompleted, UpgradeNotRolledBack or UpgradeRolledBack. */
export function verificationEvent(
  verdict: Extract<VerificationVerdict, { action: 'complete' | 'abandon' | 'rollback' }>,
): EventSpec {
  return {
    type: verdict.action === 'complete' ? 'Normal' : 'Warning',
    reason: {
      complete: 'UpgradeCompleted',
      abandon: 'UpgradeNotRolledBack',
      rollback: 'UpgradeRolledBack',
    }[verdict.action],
    action: 'VerifyUpgrade',
    note: verdict.message,
  };
}
