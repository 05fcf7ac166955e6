/**
 * Upgrades in `upgradeMode: savepoint` (docs/checkpointing.md "Upgrades (`upgradeMode`)"): when the worker-shaping
 * spec changes while the job runs, the new attempt must not start before a stop-with-savepoint
 * of the running one completed — the workers snapshot, commit and exit 0 — so the new attempt
 * restores exactly where the old one stopped (the newest snapshot, which `chooseRestoreSource`
 * picks). `last-state` starts the new attempt at once from the last completed checkpoint, and
 * `stateless` starts fresh; both need nothing from here.
 *
 * The upgrade's progress is kept in `status.upgrade` (free-form in the CRD) as
 * {@link UpgradeState}. Pure functions; the reconciler asks {@link gateUpgrade} before it starts
 * a SpecChanged attempt, and the coordinator reports the savepoint's outcome through
 * {@link upgradeAfterSnapshot}.
 */
import type { InProgressSnapshot, RestoredFrom, StreamJob } from '../../../api/src/streamjob.ts';
import { rfc3339 } from '../streamjob/conditions.ts';

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

/** The gate's verdict: hold the new attempt back or let it start; the status.upgrade to record. */
export interface UpgradeGate {
  hold: boolean;
  /** The status.upgrade to persist; undefined removes it. */
  upgrade: UpgradeState | undefined;
}

/**
 * Whether a SpecChanged attempt to `specHash` may start now.
 * - Not a spec change (restart, resume): start (status.upgrade kept only while Verifying).
 * - A spec change outside savepoint mode: start (status.upgrade cleared).
 * - A stop-with-savepoint for this target completed or failed: start (cleared).
 * - The running attempt is Running, or a savepoint for an upgrade is already under way: hold,
 *   with stage Savepointing for this target (the coordinator then takes a stop-with-savepoint).
 * - Otherwise (the old attempt is not running, so it cannot take a savepoint): start; the new
 *   attempt restores the last completed snapshot, as in last-state mode.
 */
export function gateUpgrade(job: StreamJob, reason: string, specHash: string, nowMs: number): UpgradeGate {
  const current = heldUpgradeOf(job);
  // A restart during an upgrade's verification keeps verifying the same spec; a resumed attempt
  // ends the suspend's stop-with-savepoint.
  if (reason !== 'SpecChanged') {
    const verifying = upgradeStateOf(job);
    return { hold: false, upgrade: verifying?.stage === 'Verifying' ? verifying : undefined };
  }
  if (job.spec.upgradeMode !== 'savepoint') return { hold: false, upgrade: undefined };
  if (current?.targetSpecHash === specHash && current.stage !== 'Savepointing')
    return { hold: false, upgrade: undefined };
  if (job.status?.phase === 'Running' || current?.stage === 'Savepointing') {
    return {
      hold: true,
      upgrade:
        current?.stage === 'Savepointing'
          ? { ...current, targetSpecHash: specHash }
          : {
              targetSpecHash: specHash,
              stage: 'Savepointing',
              attemptParallelism: job.status?.workers?.total ?? job.spec.parallelism,
              startedAt: rfc3339(nowMs),
            },
    };
  }
  return { hold: false, upgrade: undefined };
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

/**
 * Whether `spec.state: suspended` may delete the workers now (upgradeMode=savepoint takes a
 * stop-with-savepoint first, so resuming restores exactly where the job stopped).
 * - Not suspended: nothing to decide (status.upgrade unchanged).
 * - Suspended while an upgrade is Verifying: the verification ends (status.upgrade removed).
 * - Suspended in savepoint mode while Running: hold, stage Savepointing (kind suspend).
 * - A suspend savepoint under way: hold; taken or failed: delete (status.upgrade kept until the
 *   resumed attempt starts and clears it).
 * - Otherwise delete at once (last-state and stateless; or no running workers to snapshot).
 */
export function gateSuspend(job: StreamJob, nowMs: number): UpgradeGate {
  if (job.spec.state !== 'suspended') return { hold: false, upgrade: upgradeStateOf(job) };
  // Suspending ends the verification of an upgrade: resuming starts over from the spec as it is.
  const current = heldUpgradeOf(job);
  if (current?.kind === 'suspend') return { hold: current.stage === 'Savepointing', upgrade: current };
  if (job.spec.upgradeMode === 'savepoint' && job.status?.phase === 'Running') {
    return {
      hold: true,
      upgrade: {
        kind: 'suspend',
        targetSpecHash: job.status.attemptSpecHash ?? '',
        stage: 'Savepointing',
        attemptParallelism: job.status.workers?.total ?? job.spec.parallelism,
        startedAt: rfc3339(nowMs),
      },
    };
  }
  return { hold: false, upgrade: current };
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

/** What to do about a held spec-change upgrade whose target is no longer the spec. */
export type RevertVerdict =
  /** The stop-with-savepoint has not begun: the upgrade is dropped and the attempt runs on. */
  | { action: 'cancel' }
  /**
   * The stop-with-savepoint is under way or done, so the running attempt is stopping: the
   * upgrade continues with the spec as it is now as its target (`upgrade`), and once the
   * savepoint is taken or failed (`start`) the next attempt starts from it, as any upgrade does.
   */
  | { action: 'retarget'; start: boolean; upgrade: UpgradeState };

/**
 * The spec is the running attempt's again (`attemptSpecHash === specHash`) while a
 * savepoint-mode upgrade is held: without this the stop-with-savepoint would stop the workers
 * and nothing would start again. Undefined when that is not the case. Called only when no new
 * attempt is due otherwise.
 */
export function revertedUpgrade(job: StreamJob, specHash: string): RevertVerdict | undefined {
  const held = heldUpgradeOf(job);
  if (!held || held.kind === 'suspend' || job.spec.state === 'suspended') return undefined;
  if (job.status?.attemptSpecHash !== specHash) return undefined;
  if (held.stage === 'Savepointing' && !stopWithSavepointUnderWay(job)) return { action: 'cancel' };
  return {
    action: 'retarget',
    start: held.stage !== 'Savepointing',
    upgrade: { ...held, targetSpecHash: specHash },
  };
}
