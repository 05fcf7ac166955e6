/**
 * The status transition of the StreamJob reconciler (docs/operator.md "Status"), pure: from the job as read and what was
 * observed, the next `status` (phase, observedGeneration, Ready/Progressing/Degraded conditions,
 * workers) and the Events that the change deserves. Fields owned by other parts of the operator
 * (checkpoints, savepoints, restoredFrom, upgrade, restarts, lastHandledRequests, the
 * CheckpointsHealthy condition) pass through unchanged.
 */
import type { StreamJob, StreamJobPhase, StreamJobStatus } from '@sluice/api/streamjob.ts';
import type { EventSpec } from '../kube/events.ts';
import {
  DEGRADED,
  PROGRESSING,
  READY,
  findCondition,
  setConditions,
  type ConditionUpdate,
} from './conditions.ts';
import { upgradeHolding } from './upgrade-state.ts';
import { UNAVAILABLE } from './worker-errors.ts';
import { rolledBack } from './effective-spec.ts';
import type { ObservedWorker, WorkersObservation } from './workers.ts';
import { MAX_ITEM_BYTES, boundText, countedSummary } from '../kube/bounded-text.ts';

/** A reason the job cannot progress that the user (or an administrator) must fix. */
export interface Problem {
  /** CamelCase, e.g. StorageNotConfigured, PodCreateFailed, OwnershipConflict. */
  reason: string;
  /** What failed, on which object, and what to do. */
  message: string;
}

/** Inputs of {@link nextStatus}. */
export interface StatusInput {
  /** The job as read, with the status as persisted (including this reconcile's attempt intent). */
  job: StreamJob;
  nowMs: number;
  /** The worker pods relative to `job.status.attempt`; undefined before the first attempt. */
  workers?: WorkersObservation;
  /** Why creating the attempt's pods waits (e.g. previous attempt still terminating). */
  blockedBy?: string;
  problem?: Problem;
}

function workerItem(w: ObservedWorker): string {
  return `${w.name}: ${w.reason ?? w.state}${w.message && w.message !== w.reason ? ` (${w.message})` : ''}`;
}

/**
 * One worker as "worker <name>: <reason> (<detail>)"; several as a counted summary
 * ("37 workers failed: a-1-0: OOMKilled (exit code 137), … and 34 more"), so the message stays
 * under 4 KiB however many workers there are (kube/bounded-text.ts).
 */
export function describeWorkers(workers: readonly ObservedWorker[], verb: string): string {
  if (workers.length === 1) return boundText(`worker ${boundText(workerItem(workers[0]!), MAX_ITEM_BYTES)}`);
  return countedSummary(workers.map(workerItem), 'worker', verb);
}

/** Phase while the attempt is not fully ready, by why the attempt was started (status.attemptReason). */
export function convergingPhase(attemptReason: string | undefined): StreamJobPhase {
  if (attemptReason === 'SpecChanged') return 'Upgrading';
  if (attemptReason === 'RolledBack') return 'RollingBack';
  // WorkerFailed, CheckpointProgressTimeout, KafkaUnavailable: written by failure recovery
  // (lifecycle/recovery.ts).
  if (
    attemptReason === 'RestartRequested' ||
    attemptReason === 'WorkerFailed' ||
    attemptReason === 'CheckpointProgressTimeout' ||
    isUnavailableReason(attemptReason)
  )
    return 'Restarting';
  return 'Starting';
}

/** Whether an attempt reason is one of an unavailable external system (worker-errors.ts UNAVAILABLE). */
function isUnavailableReason(reason: string | undefined): boolean {
  return Object.values(UNAVAILABLE).some((u) => u.reason === reason);
}

/** The next status; see the module comment. */
export function nextStatus(input: StatusInput): StreamJobStatus {
  const { job, nowMs, workers, blockedBy, problem } = input;
  const prev = job.status ?? {};
  const generation = job.metadata?.generation;
  const suspended = job.spec.state === 'suspended';
  const attempt = prev.attempt ?? 0;
  const total = suspended ? 0 : job.spec.parallelism;
  const ready = suspended ? 0 : (workers?.ready ?? 0);
  const remaining = workers ? [...workers.current, ...workers.stale].length : 0;
  const failed = workers?.current.filter((w) => w.state === 'failed') ?? [];
  const finished =
    !suspended &&
    attempt > 0 &&
    workers !== undefined &&
    workers.missing.length === 0 &&
    workers.current.length > 0 &&
    workers.current.every((w) => w.state === 'succeeded');
  const stuck = workers?.current.filter((w) => w.state === 'stuck') ?? [];
  const allReady = !suspended && attempt > 0 && ready === total && (workers?.stale.length ?? 0) === 0;
  const of = `${ready}/${total} workers of attempt ${attempt} are ready`;
  const cond = (
    type: string,
    status: ConditionUpdate['status'],
    reason: string,
    message: string,
  ): ConditionUpdate => ({
    type,
    status,
    reason,
    message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  });

  let phase: StreamJobPhase;
  let readyC: ConditionUpdate;
  let progressingC: ConditionUpdate;
  if (suspended) {
    phase = remaining > 0 ? 'Suspending' : 'Suspended';
    readyC = cond(READY, 'False', 'Suspended', 'the job is suspended (spec.state=suspended)');
    progressingC =
      remaining > 0
        ? cond(PROGRESSING, 'True', 'Suspending', `deleting ${remaining} worker pod(s)`)
        : cond(PROGRESSING, 'False', 'Suspended', 'all workers are gone; set spec.state=running to resume');
  } else if (upgradeHolding(job) && !problem) {
    // A savepoint-mode upgrade holds the running attempt (lifecycle/upgrade.ts): its workers
    // take a stop-with-savepoint and exit before the next attempt starts.
    phase = 'Upgrading';
    const msg = `spec changed: attempt ${attempt} takes a stop-with-savepoint, then the next attempt starts from it`;
    readyC = cond(READY, 'False', 'Upgrading', msg);
    progressingC = cond(PROGRESSING, 'True', 'Upgrading', msg);
  } else if (finished) {
    phase = 'Finished';
    readyC = cond(
      READY,
      'False',
      'Finished',
      `all ${total} workers of attempt ${attempt} exited successfully`,
    );
    progressingC = cond(
      PROGRESSING,
      'False',
      'Finished',
      `all ${total} workers of attempt ${attempt} exited successfully`,
    );
  } else if (allReady) {
    phase = 'Running';
    readyC = cond(READY, 'True', 'WorkersReady', of);
    progressingC = cond(PROGRESSING, 'False', 'Stable', of);
  } else {
    // Failed is set by the checkpoint coordinator when the restart budget is spent; it holds
    // while the failed workers are there (a restart request or spec change starts a new attempt).
    phase = prev.phase === 'Failed' && failed.length > 0 ? 'Failed' : convergingPhase(prev.attemptReason);
    readyC = cond(READY, 'False', 'WorkersNotReady', attempt > 0 ? of : 'no attempt started yet');
    progressingC = problem
      ? cond(PROGRESSING, 'False', problem.reason, problem.message)
      : blockedBy
        ? cond(PROGRESSING, 'True', 'WaitingForPreviousAttempt', blockedBy)
        : cond(PROGRESSING, 'True', 'WaitingForWorkers', of);
  }

  let degradedC: ConditionUpdate;
  if (problem) degradedC = cond(DEGRADED, 'True', problem.reason, problem.message);
  else if (failed.length > 0) {
    degradedC = cond(DEGRADED, 'True', 'WorkerFailed', describeWorkers(failed, 'failed'));
  } else if (stuck.length > 0) {
    degradedC = cond(DEGRADED, 'True', 'WorkerNotStarting', describeWorkers(stuck, 'cannot start'));
  } else if (!allReady && isUnavailableReason(prev.attemptReason)) {
    // Between the restarts of an unavailable system: still Degraded until the workers are up.
    degradedC = cond(
      DEGRADED,
      'True',
      prev.attemptReason!,
      `attempt ${attempt} was started after a worker found ${prev.attemptReason}; ${of}`,
    );
  } else if (rolledBack(job)) {
    // Not a fault of the running attempt, but .spec is not what runs until it changes again.
    degradedC = cond(DEGRADED, 'True', 'UpgradeRolledBack', prev.rollback!.message);
  } else degradedC = cond(DEGRADED, 'False', 'AsExpected', '');

  return {
    ...prev,
    phase,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: setConditions(prev.conditions, [readyC, progressingC, degradedC], nowMs),
    workers: { ready, total },
  };
}

/**
 * Events for the change from `prev` to `next`: a phase change (Normal; Warning for Failed), a
 * Degraded condition that became True or changed reason (Warning), and recovery from Degraded
 * (Normal). Nothing when nothing of note changed, so repeated reconciles do not spam Events.
 */
export function statusEvents(prev: StreamJobStatus | undefined, next: StreamJobStatus): EventSpec[] {
  const events: EventSpec[] = [];
  if (next.phase && next.phase !== prev?.phase) {
    const readyMsg = findCondition(next.conditions, READY)?.message ?? '';
    const progMsg = findCondition(next.conditions, PROGRESSING)?.message ?? '';
    events.push({
      type: next.phase === 'Failed' ? 'Warning' : 'Normal',
      reason: next.phase,
      action: 'UpdateStatus',
      note: `phase ${prev?.phase ?? '(none)'} → ${next.phase}: ${next.phase === 'Running' ? readyMsg : progMsg || readyMsg}`,
    });
  }
  const before = findCondition(prev?.conditions, DEGRADED);
  const after = findCondition(next.conditions, DEGRADED);
  if (after?.status === 'True' && (before?.status !== 'True' || before.reason !== after.reason)) {
    events.push({ type: 'Warning', reason: after.reason, action: 'Reconcile', note: after.message });
  } else if (before?.status === 'True' && after?.status !== 'True') {
    events.push({
      type: 'Normal',
      reason: 'Recovered',
      action: 'Reconcile',
      note: `no longer degraded (was ${before.reason})`,
    });
  }
  return events;
}
