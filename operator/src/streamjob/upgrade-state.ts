/**
 * The `status.upgrade` block and what it says about the running attempt:
 * the model of an upgrade in `upgradeMode: savepoint` (docs/checkpointing.md "Upgrades
 * (`upgradeMode`)"). The decisions that start, hold or retarget an upgrade are in
 * lifecycle/upgrade.ts; the checkpoint coordinator reports its stop-with-savepoint's outcome
 * through {@link upgradeAfterSnapshot}. Pure.
 */
import type { InProgressSnapshot, StreamJob, UpgradeState } from '@sluice/api/streamjob.ts';

/** `status.upgrade` (the CRD's schema, docs/api.md). */
export type { UpgradeState };

/** status.upgrade, if any. */
export function upgradeStateOf(job: StreamJob): UpgradeState | undefined {
  return job.status?.upgrade;
}

/**
 * status.upgrade while it holds the running attempt (every stage but Verifying): the
 * stop-with-savepoint is wanted, under way, or done and the next attempt not started yet.
 */
export function heldUpgradeOf(job: StreamJob): UpgradeState | undefined {
  const u = upgradeStateOf(job);
  return u?.stage === 'Verifying' ? undefined : u;
}

/**
 * Whether a savepoint-mode upgrade holds the running attempt (status.upgrade present): the
 * reconciler then creates no pods and keeps the attempt at {@link attemptParallelism}.
 */
export function upgradeHolding(job: StreamJob): boolean {
  return heldUpgradeOf(job) !== undefined;
}

/** Parallelism of the running attempt: the held one during an upgrade, else spec.parallelism. */
export function attemptParallelism(job: StreamJob): number {
  return heldUpgradeOf(job)?.attemptParallelism ?? job.spec.parallelism;
}

/** Whether a suspend waits for its stop-with-savepoint (the reconciler keeps the pods meanwhile). */
export function suspendHeld(job: StreamJob): boolean {
  const u = upgradeStateOf(job);
  return job.spec.state === 'suspended' && u?.kind === 'suspend' && u.stage === 'Savepointing';
}

/** Whether the coordinator must take a stop-with-savepoint now. */
export function wantsStopWithSavepoint(job: StreamJob): boolean {
  return upgradeStateOf(job)?.stage === 'Savepointing';
}

/**
 * status.upgrade after the snapshot `inProgress` completed or was aborted: an operator savepoint
 * (no nonce) taken while Savepointing moves the upgrade on; anything else leaves it unchanged.
 */
export function upgradeAfterSnapshot(
  upgrade: UpgradeState | undefined,
  inProgress: InProgressSnapshot,
  outcome: 'completed' | 'aborted',
  message: string,
): UpgradeState | undefined {
  if (upgrade?.stage !== 'Savepointing' || inProgress.kind !== 'savepoint' || inProgress.nonce !== undefined)
    return upgrade;
  return outcome === 'completed'
    ? { ...upgrade, stage: 'SavepointTaken', savepointId: inProgress.id, message }
    : { ...upgrade, stage: 'SavepointFailed', message };
}

/** Whether the operator's own savepoint (a stop-with-savepoint) is in progress. */
export function stopWithSavepointUnderWay(job: StreamJob): boolean {
  const p = job.status?.checkpoints?.inProgress;
  return p?.kind === 'savepoint' && p.nonce === undefined;
}
