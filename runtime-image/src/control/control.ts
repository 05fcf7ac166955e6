/**
 * How a worker learns about checkpoint requests and commits and reports its acks. Two
 * implementations share this contract and the worker's code path: pod-control.ts (watches the
 * worker's StreamJob, acks on its own Pod; the operator is the coordinator) and local-control.ts
 * (a loopback HTTP endpoint; a test-side coordinator plays the operator).
 */
import type { CheckpointAck, CheckpointRequest } from '@sluice/api/protocol.ts';

/** What the control channel reports to the worker. Both may be called repeatedly with the same value. */
export interface ControlHandlers {
  /** The coordinator's current checkpoint request (`sluice.dev/checkpoint-request` on the StreamJob). */
  onCheckpointRequest(request: CheckpointRequest): void;
  /** The id of the last completed checkpoint (the commit notice: the StreamJob's status). */
  onCommitted(checkpointId: number): void;
  /**
   * The id of a completed checkpoint every worker acked as final (`sluice.dev/checkpoint-final` on the StreamJob):
   * the job's input is all processed; the worker exits 0 once it has committed that id.
   */
  onFinal(checkpointId: number): void;
}

/** What the worker exposes about itself (local status endpoint, logs). */
export interface WorkerStatus {
  subtask: number;
  attempt: number;
  phase: 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
  /** All peer connections are established. */
  connected: boolean;
  /** The source has read every owned split to the end (bounded sources). */
  sourceExhausted: boolean;
  /** Records read from the source. */
  recordsRead: number;
  /** Records processed by this worker's keyed stages (records arriving through the shuffle). */
  recordsProcessed: number;
  /** Records written to the sink. */
  recordsWritten: number;
  /** Source splits owned. */
  splits: number;
  lastAck: CheckpointAck | null;
  lastCommitted: number | null;
  /** Snapshot directory restored from, if any. */
  restoredFrom: string | null;
  /** Keyed state entries restored. */
  restoredEntries: number;
}

/** A control channel. */
export interface ControlChannel {
  /** Starts delivering requests and commits to `handlers`. @throws Error when it cannot start */
  start(handlers: ControlHandlers): Promise<void>;
  /**
   * Publishes an ack (success or `error`), retrying until `deadlineMs` (epoch ms; pod mode,
   * control/ack-retry.ts). Resolves without publishing when a newer ack superseded it.
   * @throws Error when it could not be published by the deadline
   */
  ack(ack: CheckpointAck, deadlineMs: number): Promise<void>;
  /** Publishes status (local mode serves it; pod mode ignores it). */
  setStatus(status: WorkerStatus): void;
  close(): Promise<void>;
}

/**
 * Parses a CheckpointRequest from annotation/HTTP text.
 * @throws Error naming `source` when it is not a valid request
 */
export function parseCheckpointRequest(text: string, source: string): CheckpointRequest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: checkpoint request is not JSON`, { cause: err });
  }
  const r = v as Partial<CheckpointRequest>;
  if (!Number.isInteger(r.id) || (r.id as number) < 0)
    throw new Error(`${source}: checkpoint request lacks a valid id`);
  if (r.kind !== 'checkpoint' && r.kind !== 'savepoint')
    throw new Error(`${source}: checkpoint request kind must be checkpoint or savepoint`);
  if (typeof r.path !== 'string' || r.path === '')
    throw new Error(`${source}: checkpoint request lacks a path`);
  return {
    id: r.id as number,
    ...(Number.isInteger(r.attempt) && (r.attempt as number) >= 0 ? { attempt: r.attempt } : {}),
    kind: r.kind,
    path: r.path.replace(/\/+$/, ''),
    stop: r.stop === true,
    triggeredAt: typeof r.triggeredAt === 'string' ? r.triggeredAt : new Date().toISOString(),
    ...(Number.isInteger(r.timeoutSeconds) && (r.timeoutSeconds as number) > 0
      ? { timeoutSeconds: r.timeoutSeconds }
      : {}),
  };
}

/**
 * Parses the committed checkpoint id (decimal text).
 * @throws Error naming `source` when it is not a non-negative integer
 */
export function parseCommitted(text: string, source: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t))
    throw new Error(
      `${source}: committed checkpoint id ${JSON.stringify(text)} is not a non-negative integer`,
    );
  return Number(t);
}
