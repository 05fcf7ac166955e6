/**
 * When a job needs a new attempt (a fresh set of worker pods) and what it restores from. Pure:
 * the reconciler persists the decision in status (attempt, attemptSpecHash, attemptReason,
 * restoredFrom) before it deletes or creates any pod, so an operator that crashes anywhere in
 * between resumes the same attempt.
 *
 * Failure recovery and upgrades start attempts the same way: the checkpoint coordinator may start
 * attempts for its own reasons (worker failure, upgrade through a savepoint) by writing the same
 * status fields; the reconciler then converges the pods to the recorded attempt (docs/operator.md
 * "The reconciler and the checkpoint coordinator").
 */
import type { RestoredFrom, StreamJob, StreamJobPhase, StreamJobStatus } from '@sluice/api/streamjob.ts';
import { parseS3Url } from '../s3/s3-url.ts';
import { attemptStartedConditions, rfc3339 } from '../streamjob/conditions.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';

/** Why an attempt was started (status.attemptReason). */
export type AttemptReason = 'Created' | 'Resumed' | 'SpecChanged' | 'RestartRequested' | 'RolledBack';

/** Whether to start a new attempt now. */
export type AttemptDecision = { start: false } | { start: true; attempt: number; reason: AttemptReason };

/**
 * Decides whether the job needs a new attempt:
 * - none while `spec.state` is suspended;
 * - attempt 1 when there has been none (`Created`);
 * - the next attempt after a suspension (`Resumed`), when the worker-shaping spec no longer
 *   matches the running attempt (`SpecChanged`), or on an accepted restart request
 *   (`RestartRequested`), in that order of precedence.
 * (`RolledBack` is decided by the reconciler: lifecycle/rollback.ts.)
 * @param specHash {@link workerSpecHash} of the current spec
 */
export function decideAttempt(job: StreamJob, specHash: string, restartRequested: boolean): AttemptDecision {
  if (job.spec.state === 'suspended') return { start: false };
  const st = job.status ?? {};
  const current = st.attempt ?? 0;
  if (current === 0) return { start: true, attempt: 1, reason: 'Created' };
  if (st.phase === 'Suspended' || st.phase === 'Suspending')
    return { start: true, attempt: current + 1, reason: 'Resumed' };
  if (st.attemptSpecHash !== specHash) return { start: true, attempt: current + 1, reason: 'SpecChanged' };
  if (restartRequested) return { start: true, attempt: current + 1, reason: 'RestartRequested' };
  return { start: false };
}

/** The restore source of a new attempt, or why it cannot be determined (user-fixable). */
export type RestoreChoice =
  { ok: true; restoredFrom: RestoredFrom | undefined } | { ok: false; message: string };

/**
 * What a new attempt restores, Flink's rule: the latest completed snapshot of the job (the
 * higher id of `status.checkpoints.lastCompleted` and `status.savepoints.last`; both share one
 * id sequence); failing that the snapshot the previous attempt restored from; failing that
 * `spec.initialSavepoint` (which must be in the job's bucket); else a fresh start. A spec
 * change in `stateless` upgrade mode always starts fresh.
 */
export function chooseRestoreSource(
  job: StreamJob,
  storage: EffectiveStorage,
  reason: AttemptReason,
): RestoreChoice {
  if (reason === 'SpecChanged' && job.spec.upgradeMode === 'stateless')
    return { ok: true, restoredFrom: undefined };
  const st = job.status ?? {};
  const checkpoint = st.checkpoints?.lastCompleted;
  const savepoint = st.savepoints?.last;
  const candidates: RestoredFrom[] = [];
  if (checkpoint) candidates.push({ kind: 'checkpoint', id: checkpoint.id, path: checkpoint.path });
  if (savepoint) candidates.push({ kind: 'savepoint', id: savepoint.id, path: savepoint.path });
  candidates.sort((a, b) => (b.id ?? 0) - (a.id ?? 0));
  if (candidates[0]) return { ok: true, restoredFrom: candidates[0] };
  if (st.restoredFrom) return { ok: true, restoredFrom: st.restoredFrom };
  const initial = job.spec.initialSavepoint;
  if (initial) {
    const parsed = parseS3Url(initial);
    if (!parsed || parsed.key === '') {
      return {
        ok: false,
        message: `spec.initialSavepoint ${initial} is not an s3://<bucket>/<savepoint directory> URL`,
      };
    }
    if (parsed.bucket !== storage.bucket) {
      return {
        ok: false,
        message:
          `spec.initialSavepoint is in bucket ${parsed.bucket} but the job's storage bucket is ${storage.bucket}; ` +
          `workers read one bucket: copy the savepoint or set spec.storage.bucket`,
      };
    }
    return { ok: true, restoredFrom: { kind: 'savepoint', path: parsed.key } };
  }
  return { ok: true, restoredFrom: undefined };
}

/** What starts an attempt, for {@link startedAttemptStatus}. */
export interface AttemptStart {
  attempt: number;
  /** `status.attemptReason`, e.g. SpecChanged, WorkerFailed. */
  reason: string;
  /** The snapshot the attempt restores, undefined for a start without state. */
  restoredFrom: RestoredFrom | undefined;
  /** Worker pods of the attempt. */
  parallelism: number;
  phase: StreamJobPhase;
  /** The Progressing condition's message. */
  message: string;
  /** Epoch ms. */
  now: number;
  /** metadata.generation, recorded as the conditions' observedGeneration when given. */
  generation?: number;
}

/**
 * The status block that starts an attempt, the one place it is built (the reconciler's attempt
 * intent and failure recovery both write it before any pod of the attempt exists; docs/operator.md
 * "Reconcile", step 4): attempt, attemptStartedAt, attemptReason, restoredFrom, phase, no
 * worker ready yet, Progressing=True AttemptStarted and Ready=False. Callers add their own
 * fields (attemptSpecHash, restart counters) and end the previous attempt's snapshot first.
 */
export function startedAttemptStatus(status: StreamJobStatus, a: AttemptStart): StreamJobStatus {
  return {
    ...status,
    attempt: a.attempt,
    attemptStartedAt: rfc3339(a.now),
    attemptReason: a.reason,
    restoredFrom: a.restoredFrom,
    phase: a.phase,
    workers: { ready: 0, total: a.parallelism },
    conditions: attemptStartedConditions(status.conditions, a.attempt, a.message, a.now, a.generation),
  };
}
