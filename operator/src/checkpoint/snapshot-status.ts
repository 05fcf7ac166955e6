/**
 * How the checkpoint coordinator's decisions (trigger-policy.ts) change the StreamJob status, and
 * what it reads from worker pods. Pure: the I/O shell (checkpoint-coordinator.ts) persists
 * these statuses with a resourceVersion precondition, in the order of the protocol in
 * docs/checkpointing.md (id in status before the request goes on the StreamJob; `_metadata`
 * before lastCompleted, which is the commit notice; the final notice after it).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { boundText } from '../kube/bounded-text.ts';
import { sharedFileCheckpointId } from '@sluice/api/layout.ts';
import { METADATA_FORMAT_VERSION, type SnapshotMetadata } from '@sluice/api/metadata.ts';
import {
  ANN_CHECKPOINT_ACK,
  ANN_CHECKPOINT_FINAL,
  ANN_CHECKPOINT_REQUEST,
  committedSnapshotId,
  type CheckpointAck,
  type CheckpointRequest,
  type KeyGroupSpan,
  type SnapshotFileEntry,
  type SnapshotKind,
} from '@sluice/api/protocol.ts';
import type {
  CompletedSavepoint,
  HandledRequest,
  HandledSnapshotRequest,
  InProgressSnapshot,
  StreamJob,
  StreamJobStatus,
} from '@sluice/api/streamjob.ts';
import { CHECKPOINTS_HEALTHY, rfc3339, setCondition } from '../streamjob/conditions.ts';
import { isRequestNonce, PERIODIC_SAVEPOINT_NONCE } from './savepoint-policy.ts';

/** Nonce-less savepoint directories (stop-with-savepoint for an upgrade or suspend) use this label. */
export const OPERATOR_SAVEPOINT_NONCE = 'operator';

/**
 * Parses the `sluice.dev/checkpoint-ack` annotation of a worker pod.
 * @returns undefined when absent or not an ack document (a malformed ack is treated as no ack:
 *   the snapshot then times out with the subtask named in the failure message)
 */
export function ackOf(pod: V1Pod): CheckpointAck | undefined {
  const raw = pod.metadata?.annotations?.[ANN_CHECKPOINT_ACK];
  if (!raw) return undefined;
  try {
    const a = JSON.parse(raw) as Partial<CheckpointAck>;
    if (typeof a.id !== 'number' || typeof a.subtask !== 'number') return undefined;
    return {
      id: a.id,
      subtask: a.subtask,
      bytes: typeof a.bytes === 'number' ? a.bytes : 0,
      files: Array.isArray(a.files) ? a.files.filter(isFileEntry) : [],
      ...(Array.isArray(a.sharedFiles)
        ? {
            sharedFiles: a.sharedFiles.filter(
              (f) => isFileEntry(f) && sharedFileCheckpointId(f.key) !== undefined,
            ),
          }
        : {}),
      ...(typeof a.uploadedBytes === 'number' ? { uploadedBytes: a.uploadedBytes } : {}),
      ...(isKeyGroupSpan(a.keyGroupRange) ? { keyGroupRange: a.keyGroupRange } : {}),
      ...(typeof a.error === 'string' ? { error: a.error } : {}),
      ...(a.final === true ? { final: true } : {}),
    };
  } catch {
    return undefined;
  }
}

/** A well-typed file entry of an ack (its values are checked on restore: metadata-coverage.ts). */
function isFileEntry(f: unknown): f is SnapshotFileEntry {
  const e = f as Partial<SnapshotFileEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.key === 'string' &&
    typeof e.bytes === 'number' &&
    typeof e.sha256 === 'string'
  );
}

function isKeyGroupSpan(r: unknown): r is KeyGroupSpan {
  const k = r as Partial<KeyGroupSpan> | null;
  return typeof k === 'object' && k !== null && typeof k.start === 'number' && typeof k.end === 'number';
}

/**
 * The CheckpointRequest annotated on the StreamJob (`sluice.dev/checkpoint-request`), if any and
 * well-formed enough to compare: an id, and the attempt when present.
 */
export function jobRequestOf(job: StreamJob): Pick<CheckpointRequest, 'id' | 'attempt'> | undefined {
  const raw = job.metadata?.annotations?.[ANN_CHECKPOINT_REQUEST];
  if (!raw) return undefined;
  try {
    const { id, attempt } = JSON.parse(raw) as Partial<CheckpointRequest>;
    if (typeof id !== 'number') return undefined;
    return { id, ...(typeof attempt === 'number' ? { attempt } : {}) };
  } catch {
    return undefined;
  }
}

/** Whether the StreamJob lacks request `req` (a crash came between the id in status and the request). */
export function requestMissing(job: StreamJob, req: CheckpointRequest): boolean {
  const current = jobRequestOf(job);
  return current?.id !== req.id || current.attempt !== req.attempt;
}

/** Id of the `sluice.dev/checkpoint-final` annotation on the StreamJob, if any. */
export function finalIdOf(job: StreamJob): number | undefined {
  const raw = job.metadata?.annotations?.[ANN_CHECKPOINT_FINAL];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/**
 * The final notice the StreamJob still lacks: the committed id (status, the commit notice) when
 * every worker pod of its attempt acked that id as final — the job's input is all processed and
 * the workers exit 0 once they have committed it (docs/checkpointing.md "Bounded jobs"); undefined
 * otherwise. Derived from the pods' acks and the status, so an operator that crashed between the
 * commit notice and the final notice writes it on its next reconcile.
 */
export function finalNoticeDue(job: StreamJob, pods: V1Pod[]): number | undefined {
  const id = committedSnapshotId(job.status);
  if (id === undefined || finalIdOf(job) === id || pods.length === 0) return undefined;
  return pods.every((p) => {
    const ack = ackOf(p);
    return ack?.id === id && ack.final === true;
  })
    ? id
    : undefined;
}

/** What a trigger persists. */
export interface TriggerFacts {
  id: number;
  /** The attempt whose workers take it (`status.attempt`). */
  attempt: number;
  kind: SnapshotKind;
  /** User request nonce, if the snapshot serves one. */
  nonce: string | undefined;
  /** Object-key prefix of the snapshot directory. */
  path: string;
  stop: boolean;
  /** Milliseconds since the epoch. */
  now: number;
  /** The snapshot's timeout (spec.checkpoint/savepoint.timeoutSeconds); workers retry acks this long. */
  timeoutSeconds?: number;
}

/** The request annotation value for a trigger. */
export function checkpointRequest(t: TriggerFacts): CheckpointRequest {
  return {
    id: t.id,
    attempt: t.attempt,
    kind: t.kind,
    path: t.path,
    ...(t.stop ? { stop: true } : {}),
    triggeredAt: rfc3339(t.now),
    ...(t.timeoutSeconds !== undefined ? { timeoutSeconds: t.timeoutSeconds } : {}),
  };
}

function handled(
  nonce: string,
  result: HandledRequest['result'],
  message: string,
  now: number,
  snapshot?: { id: number; path?: string | undefined },
): HandledSnapshotRequest {
  return {
    nonce,
    result,
    message: boundText(message),
    handledAt: rfc3339(now),
    ...(snapshot ? { id: snapshot.id, ...(snapshot.path ? { path: snapshot.path } : {}) } : {}),
  };
}

/** Which lastHandledRequests slot a snapshot kind's nonce lives in. */
function requestSlot(kind: SnapshotKind | undefined): 'savepoint' | 'checkpoint' {
  return kind === 'savepoint' ? 'savepoint' : 'checkpoint';
}

/**
 * Status after triggering: the id is handed out (lastTriggered) and in progress; a user request
 * served by it is recorded as Accepted (its nonce is then no longer pending).
 */
export function triggeredStatus(status: StreamJobStatus, t: TriggerFacts): StreamJobStatus {
  const at = rfc3339(t.now);
  const inProgress: InProgressSnapshot = {
    id: t.id,
    kind: t.kind,
    path: t.path,
    triggeredAt: at,
    ...(t.nonce !== undefined ? { nonce: t.nonce } : {}),
  };
  const next: StreamJobStatus = {
    ...status,
    checkpoints: {
      ...(status.checkpoints ?? {}),
      inProgress,
      lastTriggered: { id: t.id, kind: t.kind, path: t.path, triggeredAt: at },
    },
  };
  if (t.nonce === PERIODIC_SAVEPOINT_NONCE)
    next.savepoints = { ...(status.savepoints ?? {}), lastPeriodicTriggeredAt: at };
  if (isRequestNonce(t.nonce)) {
    const slot = requestSlot(t.kind);
    next.lastHandledRequests = {
      ...(status.lastHandledRequests ?? {}),
      [slot]: handled(
        t.nonce,
        'Accepted',
        `${t.kind} ${t.id} triggered for ${slot} request ${t.nonce}`,
        t.now,
        { id: t.id, path: t.path },
      ),
    };
  }
  return next;
}

/** The `_metadata` of a snapshot whose every subtask acked. */
export function snapshotMetadata(args: {
  inProgress: InProgressSnapshot;
  job: { namespace: string; name: string; uid: string };
  maxParallelism: number;
  attempt: number;
  acks: CheckpointAck[];
  now: number;
}): SnapshotMetadata {
  const { inProgress, acks } = args;
  return {
    formatVersion: METADATA_FORMAT_VERSION,
    id: inProgress.id,
    kind: inProgress.kind ?? 'checkpoint',
    job: args.job,
    maxParallelism: args.maxParallelism,
    parallelism: acks.length,
    attempt: args.attempt,
    workers: acks,
    bytes: acks.reduce((s, a) => s + a.bytes, 0),
    triggeredAt: inProgress.triggeredAt ?? rfc3339(args.now),
    completedAt: rfc3339(args.now),
  };
}

/**
 * Status after `_metadata` of the in-progress snapshot was written: checkpoints become
 * lastCompleted; savepoints become savepoints.last and head the history (at most
 * `historyLimit` entries). CheckpointsHealthy=True; a served request is Completed.
 * @param bytes size of the whole snapshot (its files and the shared files it references), bytes
 * @param uploadedBytes bytes uploaded for it (checkpoints only; less than `bytes` when incremental)
 */
export function completedStatus(
  status: StreamJobStatus,
  inProgress: InProgressSnapshot,
  bytes: number,
  now: number,
  historyLimit: number,
  uploadedBytes: number = bytes,
): StreamJobStatus {
  const at = rfc3339(now);
  const path = inProgress.path ?? '';
  const durationMs = inProgress.triggeredAt
    ? Math.max(0, now - Date.parse(inProgress.triggeredAt))
    : undefined;
  const { inProgress: _done, ...checkpoints } = status.checkpoints ?? {};
  // A completed snapshot is progress: restarts for an unavailable system back off from scratch again.
  const { unavailableRestarts: _progress, ...rest } = status;
  const next: StreamJobStatus = { ...rest, checkpoints };
  const kind = inProgress.kind ?? 'checkpoint';
  if (kind === 'checkpoint') {
    next.checkpoints = {
      ...checkpoints,
      lastCompleted: {
        id: inProgress.id,
        path,
        completedAt: at,
        bytes,
        uploadedBytes,
        ...(durationMs !== undefined ? { durationMs } : {}),
      },
    };
  } else {
    const sp: CompletedSavepoint = {
      id: inProgress.id,
      path,
      completedAt: at,
      bytes,
      ...(inProgress.nonce !== undefined ? { nonce: inProgress.nonce } : {}),
    };
    const history = [sp, ...(status.savepoints?.history ?? []).filter((h) => h.id !== sp.id)];
    next.savepoints = {
      ...(status.savepoints ?? {}),
      last: sp,
      history: history.slice(0, Math.max(1, historyLimit)),
    };
  }
  const message = `${kind} ${inProgress.id} completed at ${path} (${bytes} bytes)`;
  if (isRequestNonce(inProgress.nonce)) {
    const slot = requestSlot(kind);
    next.lastHandledRequests = {
      ...(status.lastHandledRequests ?? {}),
      [slot]: handled(inProgress.nonce, 'Completed', message, now, inProgress),
    };
  }
  next.conditions = setCondition(
    status.conditions,
    { type: CHECKPOINTS_HEALTHY, status: 'True', reason: 'CheckpointCompleted', message },
    now,
  );
  return next;
}

/**
 * Status after the in-progress snapshot was aborted: failure counted and described,
 * CheckpointsHealthy=False (the job keeps running), a served request is Failed.
 */
export function abortedStatus(
  status: StreamJobStatus,
  inProgress: InProgressSnapshot,
  reason: string,
  message: string,
  now: number,
): StreamJobStatus {
  const { inProgress: _gone, ...checkpoints } = status.checkpoints ?? {};
  const next: StreamJobStatus = {
    ...status,
    checkpoints: {
      ...checkpoints,
      failed: (checkpoints.failed ?? 0) + 1,
      // Bounded like every status message (docs/operator.md "Status size").
      lastFailure: { id: inProgress.id, reason, message: boundText(message), failedAt: rfc3339(now) },
    },
  };
  if (isRequestNonce(inProgress.nonce)) {
    next.lastHandledRequests = {
      ...(status.lastHandledRequests ?? {}),
      [requestSlot(inProgress.kind)]: handled(inProgress.nonce, 'Failed', message, now, inProgress),
    };
  }
  next.conditions = setCondition(
    status.conditions,
    { type: CHECKPOINTS_HEALTHY, status: 'False', reason: `Checkpoint${reason}`, message },
    now,
  );
  return next;
}

/**
 * Status for the start of attempt `attempt` (`reason`: its attemptReason): a snapshot still in
 * progress was triggered in the previous attempt, whose workers are going away. It is aborted
 * (reason `AttemptEnded`) so that the new attempt takes fresh ids at once: otherwise its workers
 * would be handed the old request (the coordinator re-annotates a missing request) and complete
 * a directory the old workers partly wrote — a worker of the old attempt still running, e.g.
 * hung, could overwrite its files after the completion. docs/checkpointing.md "Snapshots across
 * attempts".
 */
export function abandonedForNewAttempt(
  status: StreamJobStatus,
  attempt: number,
  reason: string,
  now: number,
): StreamJobStatus {
  const inProgress = status.checkpoints?.inProgress;
  if (!inProgress) return status;
  return abortedStatus(
    status,
    inProgress,
    'AttemptEnded',
    `${inProgress.kind ?? 'checkpoint'} ${inProgress.id} abandoned: attempt ${attempt} starts (${reason}) and replaces the workers that took it`,
    now,
  );
}
