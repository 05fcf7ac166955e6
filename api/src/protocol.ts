/**
 * The contract between the operator (checkpoint coordinator) and the workers (participants):
 * the annotations that carry checkpoint requests and acknowledgements, the status fields that
 * carry commits, and the environment every worker pod gets. Shared source, imported by operator/
 * and runtime-image/.
 *
 * Protocol (docs/checkpointing.md "Protocol (operator ↔ workers)"): every worker watches its
 * StreamJob. The coordinator persists checkpoint id N in the StreamJob status, then writes
 * CheckpointRequest N (with the attempt) once, as an annotation on the StreamJob; each worker of
 * that attempt snapshots under the request's path and writes CheckpointAck N on its own pod;
 * when all workers acked, the coordinator writes `_metadata` (see metadata.ts) and then N as the
 * last completed snapshot in status ({@link committedSnapshotId}) — that status write is the
 * commit notice, on which sinks commit the transactions of N. When every ack of N was `final`
 * (a bounded job's input all processed), the coordinator then sets `sluice.dev/checkpoint-final:
 * N` on the StreamJob, on which the workers exit 0. Per completed checkpoint: two status writes,
 * one request annotation and one ack per worker.
 */

import type { StreamJobStatus } from './streamjob.ts';

/** Annotation on the StreamJob, written by the operator: the checkpoint the workers of `attempt` must take. JSON of CheckpointRequest. */
export const ANN_CHECKPOINT_REQUEST = 'sluice.dev/checkpoint-request';
/** Annotation on a worker pod, written by the worker itself: JSON of CheckpointAck. */
export const ANN_CHECKPOINT_ACK = 'sluice.dev/checkpoint-ack';
/**
 * Annotation on the StreamJob, written by the operator after the commit notice: the id (decimal)
 * of a completed snapshot every worker acked as `final` — the job's last one. A worker exits 0
 * once it has committed it (docs/runtime.md "Checkpoint protocol", bounded input).
 */
export const ANN_CHECKPOINT_FINAL = 'sluice.dev/checkpoint-final';

/**
 * The commit notice: the id of the newest completed snapshot in a StreamJob status (checkpoints
 * and savepoints share one id sequence, and sinks commit on either), or undefined before the
 * first. A worker commits on it only when it acked that id itself (runtime pod-control.ts), so a
 * worker of an older attempt never commits on a newer attempt's notice.
 */
export function committedSnapshotId(status: StreamJobStatus | undefined): number | undefined {
  const ids = [status?.checkpoints?.lastCompleted?.id, status?.savepoints?.last?.id].filter(
    (i): i is number => i !== undefined,
  );
  return ids.length > 0 ? Math.max(...ids) : undefined;
}

/** User-facing annotations on a StreamJob; each value is a nonce echoed in status once handled. */
export const ANN_REQUEST_SAVEPOINT = 'sluice.dev/savepoint';
export const ANN_REQUEST_CHECKPOINT = 'sluice.dev/checkpoint';
export const ANN_REQUEST_RESTART = 'sluice.dev/restart';

/** Whether a snapshot is a periodic/on-demand checkpoint or a self-contained savepoint. */
export type SnapshotKind = 'checkpoint' | 'savepoint';

/** What the coordinator asks of every worker for snapshot `id`. */
export interface CheckpointRequest {
  /** Checkpoint id, monotonic per job (savepoints share the sequence). */
  id: number;
  /**
   * The attempt (`status.attempt`) whose workers must take it; workers of other attempts ignore
   * it. The operator always sets it; absent only in local control mode (one attempt at a time).
   */
  attempt?: number;
  kind: SnapshotKind;
  /** Object-key prefix of the snapshot directory, e.g. `<prefix>/<ns>/<job>/<uid>/checkpoints/chk-7`. */
  path: string;
  /** Stop-with-savepoint: after the snapshot is committed, drain and exit 0. */
  stop?: boolean;
  /** When the coordinator triggered it (RFC 3339). */
  triggeredAt: string;
  /**
   * The snapshot's timeout (spec.checkpoint/savepoint.timeoutSeconds): a worker retries its ack
   * this long before giving up on it (600 s when absent).
   */
  timeoutSeconds?: number;
}

/**
 * One state file a worker wrote for a snapshot, as listed in its ack and in `_metadata`
 * (docs/checkpointing.md "The `_metadata` document"); a restore checks the file against it.
 */
export interface SnapshotFileEntry {
  /** Object key relative to the snapshot directory, e.g. `state-0.snap` (no `/`). */
  key: string;
  /** Size of the object, bytes. */
  bytes: number;
  /** sha256 of the whole object, lowercase hex (64 characters). */
  sha256: string;
}

/**
 * One file of a worker's incremental checkpoint that lives under the job's shared-state
 * directory (`<jobPrefix>/shared/`, layout.ts sharedStateDir) instead of the snapshot directory,
 * because later checkpoints reference it too (docs/state.md "Incremental checkpoints").
 */
export interface SharedFileEntry {
  /**
   * Object key relative to `<jobPrefix>/shared/`: `<instance>/<checkpointId>-<fileName>`, where
   * `checkpointId` is the snapshot the file was first uploaded for (layout.ts sharedFileKey).
   */
  key: string;
  /** Size of the object, bytes. */
  bytes: number;
  /** sha256 of the whole object, lowercase hex (64 characters). */
  sha256: string;
}

/** A contiguous range of key groups, both ends inclusive; empty when `end` < `start`. */
export interface KeyGroupSpan {
  start: number;
  end: number;
}

/** A worker's acknowledgement that its part of snapshot `id` is durably uploaded. */
export interface CheckpointAck {
  id: number;
  /** Subtask index of the acknowledging worker. */
  subtask: number;
  /** Total bytes this worker uploaded for the snapshot. */
  bytes: number;
  /** The state files this worker wrote (empty in an error ack). */
  files: SnapshotFileEntry[];
  /**
   * Incremental checkpoints (rocksdb backend): the shared files this worker's snapshot references,
   * uploaded now or for an earlier completed checkpoint. The operator keeps every shared file a
   * retained checkpoint references (docs/state.md "Incremental checkpoints").
   */
  sharedFiles?: SharedFileEntry[];
  /**
   * Bytes this worker uploaded for this snapshot (its files plus the shared files new in it);
   * absent means `bytes` (a full snapshot uploads everything).
   */
  uploadedBytes?: number;
  /** The key groups whose state this worker's files hold (absent in an error ack). */
  keyGroupRange?: KeyGroupSpan;
  /** Set instead of a successful ack when the worker could not take the snapshot. */
  error?: string;
  /**
   * This worker's part covers all of its input: its bounded sources were exhausted and every
   * stage had received end-of-data before the barrier. Absent or false otherwise.
   */
  final?: boolean;
}

/** Environment variable names every worker gets (values are strings). */
export const ENV = {
  jobName: 'SLUICE_JOB_NAME',
  jobNamespace: 'SLUICE_JOB_NAMESPACE',
  jobUid: 'SLUICE_JOB_UID',
  /** Built-in job name or module path (spec.job.entry). */
  jobEntry: 'SLUICE_JOB_ENTRY',
  /** JSON of spec.job.config. */
  jobConfig: 'SLUICE_JOB_CONFIG',
  subtaskIndex: 'SLUICE_SUBTASK_INDEX',
  parallelism: 'SLUICE_PARALLELISM',
  maxParallelism: 'SLUICE_MAX_PARALLELISM',
  attempt: 'SLUICE_ATTEMPT',
  /** From the downward API. */
  podName: 'SLUICE_POD_NAME',
  podNamespace: 'SLUICE_POD_NAMESPACE',
  /** Headless Service through which workers find each other: `<pod>.<service>.<ns>.svc`. */
  peerService: 'SLUICE_PEER_SERVICE',
  /** Optional override for local runs: comma-separated host:port of every subtask, in index order. */
  peers: 'SLUICE_PEERS',
  /** TCP port of the shuffle (record exchange) listener. */
  dataPort: 'SLUICE_DATA_PORT',
  /** S3 endpoint URL, e.g. http://sluice-minio.sluice-system:9000 */
  storageEndpoint: 'SLUICE_STORAGE_ENDPOINT',
  storageBucket: 'SLUICE_STORAGE_BUCKET',
  /** Key prefix of this job's storage: `<prefix>/<namespace>/<job>/<uid>` (see layout.ts). */
  storagePrefix: 'SLUICE_STORAGE_PREFIX',
  /** From the credentials Secret (keys accessKey / secretKey); never logged. */
  storageAccessKey: 'SLUICE_STORAGE_ACCESS_KEY',
  storageSecretKey: 'SLUICE_STORAGE_SECRET_KEY',
  /** STS session token of the job's minted credentials (docs/security.md); empty or unset for plain keys. */
  storageSessionToken: 'SLUICE_STORAGE_SESSION_TOKEN',
  /**
   * Directory of the mounted credentials Secret (files accessKey, secretKey, sessionToken); the
   * runtime re-reads them when they change (renewed credentials, docs/security.md). Unset: the
   * environment's keys only.
   */
  storageCredentialsDir: 'SLUICE_STORAGE_CREDENTIALS_DIR',
  /** Snapshot directory to restore from (object-key prefix of chk-N or sp-N-nonce); empty for a fresh start. */
  restoreFrom: 'SLUICE_RESTORE_FROM',
  allowNonRestoredState: 'SLUICE_ALLOW_NON_RESTORED_STATE',
  /** `pod` (watch own pod annotations; default) or `local` (control interface for local runs). */
  controlMode: 'SLUICE_CONTROL_MODE',
  /** Local control mode only: loopback TCP port of the worker's control HTTP endpoint (0 = any). */
  controlPort: 'SLUICE_CONTROL_PORT',
  /**
   * Optional TCP port of the worker's health endpoint (`GET /livez`, `GET /readyz`: ready once
   * the worker runs and is connected to all peers). Unset or 0: no health endpoint.
   */
  healthPort: 'SLUICE_HEALTH_PORT',
  /**
   * Per-attempt secret a peer must present in the shuffle handshake (from the Secret
   * `<job>-shuffle-token`, key `token`); never logged. Unset (local runs): an empty token.
   */
  shuffleToken: 'SLUICE_SHUFFLE_TOKEN',
  /**
   * The job's snapshot key (from the Secret `<job>-snapshot-key`, key `key`): the HMAC-SHA256
   * key of `_metadata` (docs/security.md "Snapshot integrity"); never logged. Unset (local
   * runs): `_metadata` MACs are not checked.
   */
  snapshotKey: 'SLUICE_SNAPSHOT_KEY',
  /**
   * spec.checkpoint.intervalSeconds and timeoutSeconds in ms. Connectors check their own timeouts
   * against them at open (the Kafka sink's transaction timeout rule, docs/connectors.md). Unset
   * (local runs): not checked.
   */
  checkpointIntervalMs: 'SLUICE_CHECKPOINT_INTERVAL_MS',
  checkpointTimeoutMs: 'SLUICE_CHECKPOINT_TIMEOUT_MS',
  /** spec.stateBackend.type: `heap` (default when unset) or `rocksdb` (docs/state.md). */
  stateBackend: 'SLUICE_STATE_BACKEND',
  /** rocksdb only: `true` (default) for incremental checkpoints, `false` for full ones (docs/state.md). */
  stateIncremental: 'SLUICE_STATE_INCREMENTAL',
  /** rocksdb only: the working directory of the local state (an emptyDir or volume mount). */
  stateDir: 'SLUICE_STATE_DIR',
  /**
   * rocksdb only: bytes of native memory the backend may use (block cache + write buffers),
   * derived from the container's memory limit by the operator (docs/state.md "Memory").
   */
  stateMemoryBytes: 'SLUICE_STATE_MEMORY_BYTES',
} as const;

/**
 * Name of the pod of worker `index` in attempt `attempt` of job `job`: `<job>-<attempt>-<index>`.
 * The pod's `spec.hostname` is this name and `spec.subdomain` the job's headless Service, so
 * the pod resolves as `<name>.<service>.<namespace>.svc` (see workerPeerHost).
 */
export function workerPodName(job: string, attempt: number, index: number): string {
  return `${job}-${attempt}-${index}`;
}

/** DNS name through which peers reach a worker pod: `<pod>.<service>.<namespace>.svc`. */
export function workerPeerHost(podName: string, service: string, namespace: string): string {
  return `${podName}.${service}.${namespace}.svc`;
}

/** Default TCP port of the worker shuffle listener. */
export const DEFAULT_DATA_PORT = 7070;
