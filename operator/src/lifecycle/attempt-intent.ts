/**
 * The intent of one reconcile (docs/operator.md "Reconcile"): what to persist in status before
 * any pod changes — handled request annotations, a new attempt and its restore source, an
 * upgrade's progress (lifecycle/upgrade.ts, lifecycle/rollback.ts) and the last stable spec —
 * with the Events that go with it. Pure: the reconciler writes the status with the read
 * resourceVersion as precondition, then records the Events.
 */
import { abandonedForNewAttempt } from '../checkpoint/snapshot-status.ts';
import { judgeVerification, nextStableSpec, verificationEvent, verifyingUpgrade } from './rollback.ts';
import { gateSuspend, gateUpgrade, revertedUpgrade, type UpgradeGate } from './upgrade.ts';
import type { StreamJob, StreamJobStatus } from '@sluice/api/streamjob.ts';
import type { EventSpec } from '../kube/events.ts';
import { decideAttempt, chooseRestoreSource, startedAttemptStatus, type AttemptDecision } from './attempt.ts';
import { rfc3339 } from '../streamjob/conditions.ts';
import { rolledBack } from '../streamjob/effective-spec.ts';
import { handledEntry, judgeRequest, pendingRequests, type RequestKind } from '../streamjob/requests.ts';
import { convergingPhase, type Problem } from '../streamjob/status.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';

/** What {@link attemptIntent} needs besides the job. */
export interface IntentInput {
  storage: EffectiveStorage;
  /** Hash of the worker-shaping spec (desired-state.ts workerSpecHash). */
  specHash: string;
  /** Now, ms since the epoch. */
  now: number;
  /** Request kinds this operator serves (the others are rejected). */
  supported: ReadonlySet<RequestKind>;
  /** A checkpoint coordinator runs: upgrades go through savepoints and are verified. */
  coordinated: boolean;
}

/**
 * The intent: `status` to persist (undefined when nothing changes), its Events, the requests
 * handled now (for the log), and `requeueAfterMs` when an upgrade's verification times out.
 */
export interface AttemptIntent {
  status?: StreamJobStatus;
  events: EventSpec[];
  handled: Array<{ kind: RequestKind; nonce: string; result: string; message: string }>;
  requeueAfterMs?: number;
}

/**
 * The status to persist before any pod changes — handled requests, a new attempt, the
 * upgrade's progress (upgrade.ts, rollback.ts) and the last stable spec — with the Events that
 * go with it; `status` undefined when there is nothing to record. `requeueAfterMs`: when an
 * upgrade's verification times out.
 */
export function attemptIntent(job: StreamJob, o: IntentInput): AttemptIntent | { problem: Problem } {
  const { storage, specHash, now } = o;
  const suspended = job.spec.state === 'suspended';
  const verdicts = pendingRequests(job).map((r) => ({
    req: r,
    verdict: judgeRequest(r, { suspended, supported: o.supported }),
  }));
  // Accepted checkpoint/savepoint requests stay pending for the coordinator.
  const toRecord = verdicts.filter((v) => v.verdict.result === 'Rejected' || v.req.kind === 'restart');
  const restartRequested = toRecord.some((v) => v.req.kind === 'restart' && v.verdict.result === 'Accepted');
  let decision: AttemptDecision = decideAttempt(job, specHash, restartRequested);
  const events: EventSpec[] = [];
  let status: StreamJobStatus = { ...(job.status ?? {}) };
  let requeueAfterMs: number | undefined;
  let upgradeChanged = false;
  let gate: UpgradeGate | undefined;
  if (o.coordinated) {
    // A rollback applies to one generation of the spec; the next one upgrades from it.
    if (status.rollback && !rolledBack(job)) delete status.rollback;
    // The attempt that runs the last stable spec again after a rollback (lifecycle/rollback.ts).
    if (decision.start && decision.reason === 'SpecChanged' && rolledBack(job))
      decision = { ...decision, reason: 'RolledBack' };
    // An upgrade whose new attempt is being verified: done, still waiting, or rolled back.
    const verdict = judgeVerification(job, now);
    if (verdict.action === 'wait') requeueAfterMs = verdict.remainingMs;
    else if (verdict.action !== 'none') {
      delete status.upgrade;
      upgradeChanged = true;
      if (verdict.action === 'rollback') {
        const stable = job.status!.lastStableSpec!;
        status.rollback = {
          generation: job.metadata!.generation!,
          toGeneration: stable.generation,
          restoredFrom: verdict.restoredFrom,
          rolledBackAt: rfc3339(now),
          message: verdict.message,
        };
        // The next reconcile sees lastStableSpec as the spec and starts its attempt (RolledBack).
        requeueAfterMs = 0;
      }
      events.push(verificationEvent(verdict));
    }
    // upgradeMode=savepoint (lifecycle/upgrade.ts): a SpecChanged attempt, or deleting the
    // workers of a suspended job, waits for the coordinator's stop-with-savepoint of the running
    // attempt; progress is in status.upgrade.
    const reverted = decision.start ? undefined : revertedUpgrade(job, specHash);
    if (reverted?.action === 'cancel') {
      gate = { hold: false, upgrade: undefined };
      events.push({
        type: 'Normal',
        reason: 'UpgradeCancelled',
        action: 'StopWithSavepoint',
        note: `the spec is again the one attempt ${job.status?.attempt} runs; the upgrade is cancelled before its stop-with-savepoint began`,
      });
    } else if (reverted?.action === 'retarget') {
      // The running attempt is stopping with a savepoint: the next attempt of the spec as it is
      // now starts from it once it is taken.
      gate = reverted.start ? { hold: false, upgrade: undefined } : { hold: true, upgrade: reverted.upgrade };
      if (reverted.start)
        decision = { start: true, attempt: (job.status?.attempt ?? 0) + 1, reason: 'SpecChanged' };
    } else if (verdict.action === 'none' || verdict.action === 'wait') {
      gate = decision.start ? gateUpgrade(job, decision.reason, specHash, now) : gateSuspend(job, now);
    }
    if (gate) {
      if (gate.hold) decision = { start: false };
      upgradeChanged = JSON.stringify(gate.upgrade) !== JSON.stringify(job.status?.upgrade);
    }
    const stable = nextStableSpec(job, specHash);
    if (stable) {
      status.lastStableSpec = stable;
      upgradeChanged = true;
    }
  }
  if (!decision.start && toRecord.length === 0 && !upgradeChanged && status.rollback === job.status?.rollback)
    return { events: [], handled: [], ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };

  if (upgradeChanged && gate) {
    if (gate.upgrade) {
      status.upgrade = { ...gate.upgrade };
      if (gate.upgrade.stage === 'Savepointing' && job.status?.upgrade === undefined) {
        const suspend = gate.upgrade.kind === 'suspend';
        events.push({
          type: 'Normal',
          reason: suspend ? 'SuspendStarted' : 'UpgradeStarted',
          action: 'StopWithSavepoint',
          note: suspend
            ? `suspending (upgradeMode=savepoint): taking a stop-with-savepoint of attempt ${job.status?.attempt} before deleting its workers`
            : `spec changed (upgradeMode=savepoint): taking a stop-with-savepoint of attempt ${job.status?.attempt} before starting the next attempt from it`,
        });
      }
    } else delete status.upgrade;
  }
  if (decision.start) {
    const restore: ReturnType<typeof chooseRestoreSource> =
      decision.reason === 'RolledBack' && status.rollback
        ? { ok: true, restoredFrom: status.rollback.restoredFrom }
        : chooseRestoreSource(job, storage, decision.reason);
    if (!restore.ok) return { problem: { reason: 'InvalidRestoreSource', message: restore.message } };
    // A savepoint-mode upgrade's new attempt is verified: Running in time, or rolled back.
    if (decision.reason === 'SpecChanged' && o.coordinated) {
      const verifying = verifyingUpgrade(job, specHash, restore.restoredFrom, now);
      if (verifying) status.upgrade = { ...verifying };
    }
    const p = job.spec.parallelism;
    // The previous attempt's snapshot in progress ends with its workers (snapshot-status.ts).
    status = abandonedForNewAttempt(status, decision.attempt, decision.reason, now);
    const from = restore.restoredFrom
      ? `restoring ${restore.restoredFrom.kind ?? 'snapshot'} ${restore.restoredFrom.path}`
      : 'without state';
    const message = `starting attempt ${decision.attempt} (${decision.reason}) with ${p} worker(s), ${from}`;
    status = {
      ...startedAttemptStatus(status, {
        attempt: decision.attempt,
        reason: decision.reason,
        restoredFrom: restore.restoredFrom,
        parallelism: p,
        phase: convergingPhase(decision.reason),
        message,
        now,
        ...(job.metadata?.generation !== undefined ? { generation: job.metadata.generation } : {}),
      }),
      attemptSpecHash: specHash,
    };
    events.push({ type: 'Normal', reason: 'AttemptStarted', action: 'StartAttempt', note: message });
  }
  const handled = { ...(status.lastHandledRequests ?? {}) };
  const handledNow: AttemptIntent['handled'] = [];
  for (const { req, verdict } of toRecord) {
    const v =
      req.kind === 'restart' && verdict.result === 'Accepted' && decision.start
        ? { ...verdict, message: `${verdict.message}: restarting as attempt ${decision.attempt}` }
        : verdict;
    handled[req.kind] = handledEntry(req, v, rfc3339(now));
    events.push({
      type: v.result === 'Accepted' ? 'Normal' : 'Warning',
      reason: v.result === 'Accepted' ? 'RequestAccepted' : 'RequestRejected',
      action: `Handle${req.kind[0]!.toUpperCase()}${req.kind.slice(1)}Request`,
      note: v.message,
    });
    handledNow.push({ kind: req.kind, nonce: req.nonce, result: v.result, message: v.message });
  }
  status.lastHandledRequests = handled;
  return { status, events, handled: handledNow, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
}
