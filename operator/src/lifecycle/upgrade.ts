/**
 * Upgrades in `upgradeMode: savepoint` (docs/checkpointing.md "Upgrades (`upgradeMode`)"): when the worker-shaping
 * spec changes while the job runs, the new attempt must not start before a stop-with-savepoint
 * of the running one completed — the workers snapshot, commit and exit 0 — so the new attempt
 * restores exactly where the old one stopped (the newest snapshot, which `chooseRestoreSource`
 * picks). `last-state` starts the new attempt at once from the last completed checkpoint, and
 * `stateless` starts fresh; both need nothing from here.
 *
 * The upgrade's progress is kept in `status.upgrade` (streamjob/upgrade-state.ts). Pure
 * functions; the attempt intent asks {@link gateUpgrade} before it starts a SpecChanged attempt
 * and {@link gateSuspend} before a suspend deletes the workers.
 */
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { rfc3339 } from '../streamjob/conditions.ts';
import {
  heldUpgradeOf,
  stopWithSavepointUnderWay,
  upgradeStateOf,
  type UpgradeState,
} from '../streamjob/upgrade-state.ts';

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
