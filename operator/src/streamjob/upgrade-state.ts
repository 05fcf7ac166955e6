/**
 * The `status.upgrade` block (free-form in the CRD) and what it says about the running attempt:
 * the model of an upgrade in `upgradeMode: savepoint` (docs/checkpointing.md "Upgrades
 * (`upgradeMode`)"). The decisions that start, hold or retarget an upgrade are in
 * lifecycle/upgrade.ts; the checkpoint coordinator reports its stop-with-savepoint's outcome
 * through {@link upgradeAfterSnapshot}. Pure.
 */
import type { InProgressSnapshot, RestoredFrom, StreamJob } from '@sluice/api/streamjob.ts';

/** `status.upgrade`. */
export interface UpgradeState {
  /** specChange (default): a SpecChanged attempt waits; suspend: deleting the pods waits. */
  kind?: 'specChange' | 'suspend';
  /** workerSpecHash of the spec being upgraded to. */
  targetSpecHash: string;
  /**
   * Savepointing: the stop-with-savepoint is wanted or in progress; SavepointTaken: it
   * completed (id in savepointId) and the new attempt may start; SavepointFailed: it was aborted
   * and the new attempt starts from the last completed checkpoint instead (last-state).
   * Verifying: the new attempt started (from rollbackFrom) and has spec.upgradeTimeoutSeconds
   * from startedAt to become Running, or the job rolls back (rollback.ts); nothing is held.
   */
  stage: 'Savepointing' | 'SavepointTaken' | 'SavepointFailed' | 'Verifying';
  savepointId?: number;
  /** Verifying: the snapshot the new attempt restored, which a rollback restores too. */
  rollbackFrom?: RestoredFrom;
  /**
   * Parallelism of the running attempt (status.workers.total when the upgrade began): until the
   * new attempt starts, its pods are observed, kept and addressed at this parallelism.
   */
  attemptParallelism: number;
  /** RFC 3339. */
  startedAt: string;
  message?: string;
}

/** Reads status.upgrade if it has the shape written here. */
export function upgradeStateOf(job: StreamJob): UpgradeState | undefined {
  const u = job.status?.upgrade as Partial<UpgradeState> | undefined;
  if (!u || typeof u.targetSpecHash !== 'string' || typeof u.stage !== 'string') return undefined;
  return u as UpgradeState;
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
