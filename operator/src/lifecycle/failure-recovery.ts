/**
 * Failure recovery decisions (docs/checkpointing.md "Failure recovery"): when a worker of the current
 * attempt has failed, the whole attempt is replaced — a new attempt restored from the last
 * completed snapshot — after the restart backoff (restart-backoff.ts), within the restart budget
 * (spec.restartPolicy.maxRestarts). Pure: the coordinator shell verifies the restore source's
 * `_metadata` and persists the new attempt in status before the reconciler deletes any pod.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { RestartPolicySpec, RestoredFrom, StreamJobStatus } from '@sluice/api/streamjob.ts';
import type { NodeHealth } from '../streamjob/node-loss.ts';
import { observeWorker } from '../streamjob/workers.ts';
import { MAX_ITEM_BYTES, boundText, countedSummary } from '../kube/bounded-text.ts';
import { restartDelayMs } from './restart-backoff.ts';
import { restartRefusal, type RestartRefusal } from './restart-rate.ts';
import {
  notRestartableFailure,
  parseTerminationMessage,
  unavailableFailure,
} from '../streamjob/worker-errors.ts';
import type { Problem } from '../streamjob/status.ts';

/** status.attemptReason of an attempt started because a worker failed. */
export const WORKER_FAILED = 'WorkerFailed';

/** A worker of the current attempt as the recovery sees it. */
export interface WorkerHealth {
  name: string;
  /** Failed: the process exited non-zero, or the pod was not ready past notReadyTimeoutSeconds. */
  failed: boolean;
  /** When the failure happened (ms since the epoch), e.g. the container's finishedAt. */
  failedAt?: number;
  /** For messages: exit code, reason. */
  detail?: string;
  /** The container's termination message (`<Error class>: <message>` from the runtime). */
  terminationMessage?: string;
}

/**
 * Whether the current attempt has run: one of its workers is or was up (ready, failed or
 * succeeded), or a snapshot was triggered in it (`status.checkpoints.lastTriggered` after
 * `attemptStartedAt`; a trigger needs every worker ready). A pod missing from an attempt that has
 * run was deleted: it counts as a failed worker and is not recreated in the same attempt, which
 * would restore the attempt's original snapshot and repeat output already committed by the
 * attempt's checkpoints — with one worker no peer would notice. Before any trigger nothing of
 * the attempt is committed, so a missing pod is simply created again.
 * @param states observeWorker states of the attempt's pods
 */
export function attemptHasRun(status: StreamJobStatus | undefined, states: readonly string[]): boolean {
  if (states.some((s) => s === 'ready' || s === 'failed' || s === 'succeeded')) return true;
  const triggered = status?.checkpoints?.lastTriggered?.triggeredAt;
  const started = status?.attemptStartedAt;
  // Both have second resolution: a trigger in the second the attempt started is the previous
  // attempt's (the new one's workers cannot all be ready yet).
  return triggered !== undefined && started !== undefined && Date.parse(triggered) > Date.parse(started);
}

/**
 * How the recovery sees one worker pod at `now` (ms): failed when its node is lost (`nodes`;
 * failure time: when the loss is dated), when the pod is Failed (failure time: the container's
 * finishedAt), or when it is starting or stuck with Ready=False for longer than
 * `policy.notReadyTimeoutSeconds` (failure time: when that timeout passed).
 */
export function workerHealth(
  pod: V1Pod,
  now: number,
  policy: RestartPolicySpec,
  nodes?: NodeHealth,
): WorkerHealth {
  const w = observeWorker(pod);
  // A worker on a lost node may still run (a partition), but its attempt cannot go on: peers
  // wait for it. docs/checkpointing.md "Lost nodes and fencing".
  const loss = w.node !== undefined && w.state !== 'succeeded' ? nodes?.lost(w.node, now) : undefined;
  if (loss)
    return {
      name: w.name,
      failed: true,
      failedAt: loss.since,
      detail: `node ${loss.node} lost: ${loss.reason}`,
    };
  if (w.state === 'failed') {
    const term = pod.status?.containerStatuses?.map((c) => c.state?.terminated).find((t) => t);
    return {
      name: w.name,
      failed: true,
      failedAt: term?.finishedAt ? new Date(term.finishedAt).getTime() : undefined,
      detail: w.message,
      ...(term?.message ? { terminationMessage: term.message } : {}),
    };
  }
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  if (
    (w.state === 'starting' || w.state === 'stuck') &&
    ready?.status === 'False' &&
    ready.lastTransitionTime
  ) {
    const deadline = new Date(ready.lastTransitionTime).getTime() + policy.notReadyTimeoutSeconds * 1000;
    if (now > deadline) {
      return {
        name: w.name,
        failed: true,
        failedAt: deadline,
        detail: `not ready for more than ${policy.notReadyTimeoutSeconds}s${w.reason ? ` (${w.reason})` : ''}`,
      };
    }
  }
  return { name: w.name, failed: false };
}

/** What to do about failed workers now. */
export type RecoveryDecision =
  | { action: 'none' }
  | { action: 'wait'; requeueAfterMs: number; message: string; problem?: Problem }
  | { action: 'restart'; message: string; unavailable?: string }
  | ({ action: 'giveUp' } & RestartRefusal)
  | { action: 'fail'; reason: string; message: string };

/**
 * Decides about the current attempt's workers.
 * - No failed worker: none.
 * - A worker failed with an error a restart cannot fix (worker-errors.ts): fail at once (phase
 *   Failed with the reason), whatever the budget.
 * - A worker failed because an external system is unavailable (worker-errors.ts
 *   `unavailableFailure`): restart after backoffSeconds · 2^unavailableRestarts (capped at
 *   maxBackoffSeconds), outside the restart budget and rate; while waiting, `problem` names the
 *   system (Degraded). `unavailable`: the reason, for status.attemptReason.
 * - Restart budget spent (status.restarts ≥ maxRestarts), or restartRateLimit.maxRestarts
 *   restarts (`recentRestarts`) within the window before the failure: giveUp (phase Failed,
 *   restart-rate.ts).
 * - Before the backoff delay since the (latest) failure has passed: wait. A deleted worker has no
 *   failure time; when no failed worker has one, the delay counts from `attemptStartedAt` (ms),
 *   so restarts still come at most once per delay.
 * - Otherwise restart.
 */
export function decideRecovery(o: {
  now: number;
  policy: RestartPolicySpec;
  restarts: number;
  /** status.recentRestarts */
  recentRestarts?: readonly string[];
  workers: WorkerHealth[];
  attemptStartedAt?: number;
  /** status.unavailableRestarts: restarts for an unavailable system since the last completed snapshot. */
  unavailableRestarts?: number;
}): RecoveryDecision {
  const failed = o.workers.filter((w) => w.failed);
  if (failed.length === 0) return { action: 'none' };
  const fatal = notRestartableFailure(failed);
  if (fatal) return { action: 'fail', ...fatal };
  const what = failedWorkers(failed);
  // Backoff from the latest known failure time; a deleted worker has none (its peers' exits do).
  const times = failed.map((w) => w.failedAt).filter((t): t is number => t !== undefined);
  const at = times.length > 0 ? Math.max(...times) : (o.attemptStartedAt ?? o.now);
  const unavailable = unavailableFailure(failed);
  if (unavailable) {
    const n = o.unavailableRestarts ?? 0;
    const due = at + restartDelayMs(o.policy, n);
    const message = `${unavailable.message}; restarted with backoff, not counted against the restart budget`;
    if (o.now < due) {
      const next = `${message}; next attempt in ${Math.ceil((due - o.now) / 1000)}s`;
      return {
        action: 'wait',
        requeueAfterMs: due - o.now,
        message: next,
        problem: { reason: unavailable.reason, message: next },
      };
    }
    return { action: 'restart', message, unavailable: unavailable.reason };
  }
  const refusal = restartRefusal(o.policy, o.restarts, o.recentRestarts, at, what);
  if (refusal) return { action: 'giveUp', ...refusal };
  const due = at + restartDelayMs(o.policy, o.restarts);
  if (o.now < due) {
    return {
      action: 'wait',
      requeueAfterMs: due - o.now,
      message: `${what}; restart ${o.restarts + 1} of at most ${o.policy.maxRestarts} in ${Math.ceil((due - o.now) / 1000)}s`,
    };
  }
  return {
    action: 'restart',
    message: `${what}; restart ${o.restarts + 1} of at most ${o.policy.maxRestarts}`,
  };
}

/**
 * "worker(s) a-1-0 (exit code 137) failed" for one worker; "37 workers failed: a-1-0 (exit code
 * 137), … and 34 more" for several — bounded, so the status messages built from it stay under
 * 4 KiB however large the attempt (docs/operator.md "Status size").
 */
function failedWorkers(failed: readonly WorkerHealth[]): string {
  const item = (w: WorkerHealth) => `${w.name}${w.detail ? ` (${w.detail})` : ''}`;
  if (failed.length === 1) return `worker(s) ${boundText(item(failed[0]!), MAX_ITEM_BYTES)} failed`;
  return countedSummary(failed.map(item), 'worker', 'failed');
}

/**
 * Restore candidates of a failure restart, best first: the newer of status.checkpoints.lastCompleted
 * and status.savepoints.last, then the other, then older completed checkpoints found in storage
 * (`storedCompleted`: ids with `_metadata`), then the snapshot the current attempt restored from.
 * The shell takes the first whose `_metadata` reads back valid.
 */
export function restoreCandidates(
  status: StreamJobStatus,
  storedCompleted: Array<{ id: number; path: string }>,
): RestoredFrom[] {
  const out: RestoredFrom[] = [];
  const seen = new Set<string>();
  const add = (r: RestoredFrom) => {
    if (!seen.has(r.path)) {
      seen.add(r.path);
      out.push(r);
    }
  };
  const top: RestoredFrom[] = [];
  const c = status.checkpoints?.lastCompleted;
  const s = status.savepoints?.last;
  if (c) top.push({ kind: 'checkpoint', id: c.id, path: c.path });
  if (s) top.push({ kind: 'savepoint', id: s.id, path: s.path });
  top.sort((a, b) => (b.id ?? 0) - (a.id ?? 0)).forEach(add);
  [...storedCompleted]
    .sort((a, b) => b.id - a.id)
    .forEach((x) => add({ kind: 'checkpoint', id: x.id, path: x.path }));
  if (status.restoredFrom) add(status.restoredFrom);
  return out;
}

/** Error class the runtime reports for a snapshot file whose size or sha256 is not `_metadata`'s. */
export const SNAPSHOT_CORRUPTED = 'SnapshotCorruptedError';

/**
 * The snapshot the current attempt restored from (`status.restoredFrom`), when one of its failed
 * workers reported it corrupted: a file whose sha256 or size does not match `_metadata`, found
 * by the worker before it opens the state (docs/state.md "Restore"). A file altered in place keeps
 * its size, which is all the operator checks without downloading it, so only the workers find it:
 * the next restart must not restore that snapshot again but fall back (docs/checkpointing.md
 * "Failure recovery"). Undefined when no failed worker reported a corrupted snapshot.
 * @returns the snapshot with the worker's message, as restore-fallback.ts lists skipped sources
 */
export function corruptedRestoreSource(
  status: StreamJobStatus | undefined,
  workers: readonly WorkerHealth[],
): { source: RestoredFrom; problem: string } | undefined {
  const source = status?.restoredFrom;
  if (!source?.path) return undefined;
  for (const w of workers) {
    if (!w.failed) continue;
    const e = parseTerminationMessage(w.terminationMessage);
    if (e?.errorClass === SNAPSHOT_CORRUPTED) {
      return {
        source,
        problem: `worker ${w.name} found it corrupted: ${boundText(e.message, MAX_ITEM_BYTES)}`,
      };
    }
  }
  return undefined;
}
