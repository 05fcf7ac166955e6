/**
 * The checkpoint coordinator's decision, as a pure function of what one reconcile observes:
 * finish, abort or keep waiting for the snapshot in progress, or trigger the next one
 * (a stop-with-savepoint first, then user savepoint and checkpoint requests, then the
 * periodic checkpoint). At most one snapshot is in progress per job, as in Flink with
 * `maxConcurrentCheckpoints = 1`.
 */
import { createHash } from 'node:crypto';
import type { CheckpointAck, SnapshotKind } from '@sluice/api/protocol.ts';
import type { CheckpointsStatus, CheckpointSpec, SavepointSpec } from '@sluice/api/streamjob.ts';
import { PERIODIC_SAVEPOINT_NONCE } from './savepoint-policy.ts';

/** What the coordinator sees in one reconcile. Times are milliseconds since the epoch. */
export interface CoordinatorObservation {
  now: number;
  checkpoint: CheckpointSpec;
  savepoint: SavepointSpec;
  checkpoints: CheckpointsStatus | undefined;
  /** Parallelism of the current attempt: the number of acks a snapshot needs. */
  parallelism: number;
  /** Every worker of the current attempt is ready (a snapshot needs all participants). */
  workersReady: boolean;
  /** When the periodic schedule of the current attempt starts (its workers became ready). */
  scheduleStart: number;
  /**
   * The first periodic checkpoint of the schedule is due after this fraction of the interval
   * ({@link initialDelayFraction}); default 1.
   */
  initialDelayFraction?: number;
  /** Acks read from the worker pods of the current attempt, any id. */
  acks: CheckpointAck[];
  /** Nonce of an unhandled `sluice.dev/savepoint` request, if any. */
  savepointRequest?: string;
  /** Nonce of an unhandled `sluice.dev/checkpoint` request, if any. */
  checkpointRequest?: string;
  /** The operator itself needs a stop-with-savepoint (upgrade or suspend in savepoint mode). */
  stopWithSavepoint?: boolean;
  /** When the next periodic savepoint is due (savepoint-policy.ts periodicSavepointDue); none if undefined. */
  periodicSavepointDue?: number;
}

/** Why a snapshot in progress is given up. */
export type AbortReason = 'Timeout' | 'WorkerFailed';

/** The one thing the coordinator does in this reconcile. */
export type CoordinatorDecision =
  | { action: 'wait'; requeueAfterMs: number | undefined }
  | { action: 'trigger'; id: number; kind: SnapshotKind; nonce: string | undefined; stop: boolean }
  | { action: 'complete'; id: number; acks: CheckpointAck[] }
  | { action: 'abort'; id: number; reason: AbortReason; message: string };

/**
 * Fraction of the interval (in [0.5, 1)) after which an attempt's first periodic checkpoint is
 * due: fixed per job and attempt (from a SHA-256 of uid and attempt, so an operator restart
 * keeps it), different between jobs, so jobs started together do not all checkpoint in the same
 * second ever after. Flink's CheckpointCoordinator does the same with a random initial delay
 * between the minimum pause and the interval.
 */
export function initialDelayFraction(uid: string, attempt: number): number {
  const h = createHash('sha256').update(`${uid}/${attempt}`).digest();
  return 0.5 + h.readUInt32BE(0) / 2 ** 33;
}

/** The id the next snapshot gets: one past every id handed out so far (checkpoints and savepoints share it). */
export function nextSnapshotId(checkpoints: CheckpointsStatus | undefined): number {
  return (
    Math.max(
      checkpoints?.lastTriggered?.id ?? 0,
      checkpoints?.inProgress?.id ?? 0,
      checkpoints?.lastCompleted?.id ?? 0,
    ) + 1
  );
}

/**
 * Decides what the coordinator does now.
 * - In progress: a worker's error ack aborts it (WorkerFailed); acks of every subtask complete it;
 *   past `timeoutSeconds` of its kind it is aborted (Timeout); otherwise wait until its deadline.
 * - Nothing in progress and not all workers ready: wait (a pod event reconciles again).
 * - Otherwise trigger, by priority: stop-with-savepoint, user savepoint, user checkpoint, the
 *   periodic savepoint once due (nonce PERIODIC_SAVEPOINT_NONCE), and the periodic checkpoint
 *   once due on the attempt's fixed-rate schedule ({@link periodicCheckpointDue}).
 */
export function decide(o: CoordinatorObservation): CoordinatorDecision {
  const inProgress = o.checkpoints?.inProgress;
  if (inProgress) {
    const forId = o.acks.filter((a) => a.id === inProgress.id);
    const failed = forId.find((a) => a.error !== undefined);
    if (failed) {
      return {
        action: 'abort',
        id: inProgress.id,
        reason: 'WorkerFailed',
        message: `subtask ${failed.subtask} could not take ${inProgress.kind ?? 'checkpoint'} ${inProgress.id}: ${failed.error}`,
      };
    }
    const bySubtask = new Map(forId.map((a) => [a.subtask, a]));
    const all = Array.from({ length: o.parallelism }, (_, i) => bySubtask.get(i));
    if (all.every((a) => a !== undefined)) {
      return { action: 'complete', id: inProgress.id, acks: all as CheckpointAck[] };
    }
    const timeoutMs =
      (inProgress.kind === 'savepoint' ? o.savepoint.timeoutSeconds : o.checkpoint.timeoutSeconds) * 1000;
    const started = inProgress.triggeredAt ? Date.parse(inProgress.triggeredAt) : o.now;
    const left = started + timeoutMs - o.now;
    if (left <= 0) {
      const missing = all.flatMap((a, i) => (a === undefined ? [i] : []));
      return {
        action: 'abort',
        id: inProgress.id,
        reason: 'Timeout',
        message: `${inProgress.kind ?? 'checkpoint'} ${inProgress.id} did not complete within ${timeoutMs / 1000}s; no ack from subtask(s) ${missing.join(', ')}`,
      };
    }
    return { action: 'wait', requeueAfterMs: left };
  }

  if (!o.workersReady) return { action: 'wait', requeueAfterMs: undefined };
  const id = nextSnapshotId(o.checkpoints);
  if (o.stopWithSavepoint) return { action: 'trigger', id, kind: 'savepoint', nonce: undefined, stop: true };
  if (o.savepointRequest !== undefined) {
    return { action: 'trigger', id, kind: 'savepoint', nonce: o.savepointRequest, stop: false };
  }
  if (o.checkpointRequest !== undefined) {
    return { action: 'trigger', id, kind: 'checkpoint', nonce: o.checkpointRequest, stop: false };
  }
  const savepointDue = o.periodicSavepointDue;
  if (savepointDue !== undefined && o.now >= savepointDue) {
    return { action: 'trigger', id, kind: 'savepoint', nonce: PERIODIC_SAVEPOINT_NONCE, stop: false };
  }
  const lastTriggered = o.checkpoints?.lastTriggered?.triggeredAt;
  const due = periodicCheckpointDue(o, lastTriggered ? Date.parse(lastTriggered) : 0);
  if (o.now >= due) return { action: 'trigger', id, kind: 'checkpoint', nonce: undefined, stop: false };
  return { action: 'wait', requeueAfterMs: Math.min(due, savepointDue ?? Infinity) - o.now };
}

/**
 * When the next periodic checkpoint is due, epoch ms: the first point after `lastTriggeredMs` of
 * the attempt's fixed-rate schedule `anchor + k × interval` (k = 0, 1, …), where `anchor` is
 * `scheduleStart + initialDelayFraction × interval`. A trigger that ran late (a busy operator, a
 * snapshot that took long) does not push the later ones back, so `intervalSeconds: 60` means 60
 * checkpoints an hour — Flink's CheckpointCoordinator schedules its periodic trigger at a fixed
 * rate the same way (`scheduleAtFixedRate` after the random initial delay). A trigger before
 * `anchor` (of an earlier attempt, or a user request) does not move the schedule. At most one snapshot is in
 * progress, so a schedule that fell behind triggers once on completion, not once per missed point.
 * The points are whole seconds, as the status's times are (`triggeredAt` is RFC 3339 without
 * fractions): a trigger on time is recorded at or after its point, never in the second before
 * it, so it cannot be taken for a trigger before the point and repeated.
 * @param lastTriggeredMs when the last snapshot of any kind was triggered, epoch ms (0: never)
 */
export function periodicCheckpointDue(
  o: Pick<CoordinatorObservation, 'checkpoint' | 'scheduleStart' | 'initialDelayFraction'>,
  lastTriggeredMs: number,
): number {
  const intervalMs = o.checkpoint.intervalSeconds * 1000;
  const delayMs = Math.round((intervalMs * (o.initialDelayFraction ?? 1)) / 1000) * 1000;
  const anchor = Math.floor(o.scheduleStart / 1000) * 1000 + delayMs;
  if (lastTriggeredMs < anchor) return anchor;
  return anchor + (Math.floor((lastTriggeredMs - anchor) / intervalMs) + 1) * intervalMs;
}
