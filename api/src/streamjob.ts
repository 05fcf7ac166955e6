// GENERATED FROM crds/sluice.dev_streamjobs.yaml by operator/src/codegen/generate-api-types.ts.
// DO NOT EDIT: change the CRD and run `node operator/src/codegen/generate-api-types.ts`.
/**
 * The StreamJob API (sluice.dev/v1alpha1) as TypeScript types, shared by the operator and the
 * worker runtime. Types describe objects as read from the API server, where defaults are applied:
 * a field with a schema default is never absent.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';

/** API group of StreamJob. */
export const STREAMJOB_GROUP = 'sluice.dev';
/** Served (and stored) version. */
export const STREAMJOB_VERSION = 'v1alpha1';
/** `apiVersion` of StreamJob objects. */
export const STREAMJOB_API_VERSION = 'sluice.dev/v1alpha1';
/** `kind` of StreamJob objects. */
export const STREAMJOB_KIND = 'StreamJob';
/** Resource name in URLs: /apis/<group>/<version>/namespaces/<ns>/<plural>. */
export const STREAMJOB_PLURAL = 'streamjobs';

/** A stateful stream-processing job run by Sluice as a set of worker pods. */
export interface StreamJob {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  /** What the user asks for. */
  spec: StreamJobSpec;
  /** What the operator observed and did. Written only by the operator, through the status subresource. */
  status?: StreamJobStatus;
}

/** What the user asks for. */
export interface StreamJobSpec {
  /**
   * The worker runtime image, e.g. sluice-runtime:0.1.0.
   * Length: 1..512. Pattern: `^\S+$`.
   */
  image: string;
  /**
   * Pull policy of the worker image.
   * Default: `"IfNotPresent"`.
   */
  imagePullPolicy: ImagePullPolicy;
  /** What the workers run. */
  job: JobSpec;
  /**
   * Number of worker pods (subtasks).
   * Default: `1`. Range: 1..1024.
   */
  parallelism: number;
  /**
   * Number of key groups the keyed state is partitioned into; the upper bound of parallelism. Immutable once the job has state.
   * Default: `128`. Range: 1..32768.
   */
  maxParallelism: number;
  /**
   * running keeps workers up; suspended removes them and keeps status and state.
   * Default: `"running"`.
   */
  state: JobState;
  /**
   * Where the workers keep keyed state (docs/state.md). heap keeps it in the worker's memory and writes full checkpoints; rocksdb keeps it on local disk (RocksDB), so it may exceed memory, and by default uploads only the files a checkpoint adds. Switch between them through a savepoint (upgradeMode savepoint): savepoints are in a format both restore.
   * Default: `{}`.
   */
  stateBackend: SpecStateBackend;
  /**
   * How a spec change reaches a running job: through a savepoint (stop-with-savepoint, then restore), from the last completed checkpoint, or from scratch.
   * Default: `"savepoint"`.
   */
  upgradeMode: UpgradeMode;
  /**
   * Seconds the attempt of a changed spec has, in upgradeMode savepoint, to become Running (every worker ready). Past it (or when its restart budget is spent first) the job rolls back to the last spec that ran, restored from the upgrade's savepoint, and stays there until the spec changes again.
   * Default: `300`. Range: 10..86400.
   */
  upgradeTimeoutSeconds: number;
  /**
   * Periodic checkpoints.
   * Default: `{}`.
   */
  checkpoint: CheckpointSpec;
  /**
   * Savepoints (on request and before upgrades).
   * Default: `{}`.
   */
  savepoint: SavepointSpec;
  /**
   * How the job recovers from a failed attempt.
   * Default: `{}`.
   */
  restartPolicy: RestartPolicySpec;
  /** What failure recovery may do to restore a job (docs/checkpointing.md "Failure recovery"). */
  recovery?: SpecRecovery;
  /**
   * Start from this savepoint (s3://bucket/.../sp-N-nonce) when the job has no state yet.
   * Length: 0..1024. Pattern: `^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?$`.
   */
  initialSavepoint?: string;
  /** Start from the snapshot a StreamJobSnapshot in this namespace recorded (its status.path) when the job has no state yet. The job waits while the snapshot is Pending or InProgress. Not together with initialSavepoint. */
  initialSavepointRef?: SnapshotReference;
  /**
   * What deleting the StreamJob does with its state (a finalizer does it, bounded in time): keep (leave checkpoints and savepoints in storage), savepoint (take a final stop-with-savepoint before the workers go, recorded as a StreamJobSnapshot that outlives the job), or delete (delete the job's checkpoints and the savepoints no StreamJobSnapshot with disposeOnDelete false records).
   * Default: `"keep"`.
   */
  onDelete: OnDeletePolicy;
  /**
   * Allow restoring a snapshot whose state does not all map to the job's operators.
   * Default: `false`.
   */
  allowNonRestoredState: boolean;
  /** Object storage for checkpoints and savepoints. Each field unset here comes from the operator's configuration. */
  storage?: StorageSpec;
  /** Settings applied to every worker pod. */
  podTemplate?: WorkerPodTemplate;
}

/** Every value of {@link ImagePullPolicy}. */
export const IMAGE_PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
/**
 * Pull policy of the worker image.
 * Default: `"IfNotPresent"`.
 */
export type ImagePullPolicy = (typeof IMAGE_PULL_POLICIES)[number];

/** What the workers run. */
export interface JobSpec {
  /**
   * A built-in job name (wordcount, nexmark-q5, ...) or a module path inside the image.
   * Length: 1..253. Pattern: `^\S+$`.
   */
  entry: string;
  /**
   * Free-form configuration handed to the job as JSON (SLUICE_JOB_CONFIG): at most 64 top-level keys and 16 KiB as JSON (the operator refuses a larger one with Degraded=JobConfigTooLarge).
   * At most 64 entries.
   */
  config?: Record<string, unknown>;
}

/** Every value of {@link JobState}. */
export const JOB_STATES = ['running', 'suspended'] as const;
/**
 * running keeps workers up; suspended removes them and keeps status and state.
 * Default: `"running"`.
 */
export type JobState = (typeof JOB_STATES)[number];

/**
 * Where the workers keep keyed state (docs/state.md). heap keeps it in the worker's memory and writes full checkpoints; rocksdb keeps it on local disk (RocksDB), so it may exceed memory, and by default uploads only the files a checkpoint adds. Switch between them through a savepoint (upgradeMode savepoint): savepoints are in a format both restore.
 * Default: `{}`.
 */
export interface SpecStateBackend {
  /**
   * heap (in memory) or rocksdb (on local disk).
   * Default: `"heap"`.
   */
  type: 'heap' | 'rocksdb';
  /** rocksdb only: checkpoints upload only the files not yet in storage (default true); false uploads the whole state every checkpoint. */
  incremental?: boolean;
  /** rocksdb only: the volume of the local state. Default: an emptyDir of sizeLimit 10Gi. With storageClassName, a generic ephemeral volume (a PersistentVolumeClaim created and deleted with the worker pod) of that class and size. Size it for up to 3 times the state: compaction keeps older copies until it merges them (docs/state.md "Compaction"). */
  localStorage?: SpecStateBackendLocalStorage;
}

/** rocksdb only: the volume of the local state. Default: an emptyDir of sizeLimit 10Gi. With storageClassName, a generic ephemeral volume (a PersistentVolumeClaim created and deleted with the worker pod) of that class and size. Size it for up to 3 times the state: compaction keeps older copies until it merges them (docs/state.md "Compaction"). */
export interface SpecStateBackendLocalStorage {
  /**
   * Size limit (emptyDir) or requested size (ephemeral volume), e.g. 10Gi.
   * Default: `"10Gi"`. Pattern: `^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$`.
   */
  size: string;
  /**
   * Storage class of a generic ephemeral volume; unset means an emptyDir.
   * Length: 1..253.
   */
  storageClassName?: string;
}

/** Every value of {@link UpgradeMode}. */
export const UPGRADE_MODES = ['savepoint', 'last-state', 'stateless'] as const;
/**
 * How a spec change reaches a running job: through a savepoint (stop-with-savepoint, then restore), from the last completed checkpoint, or from scratch.
 * Default: `"savepoint"`.
 */
export type UpgradeMode = (typeof UPGRADE_MODES)[number];

/**
 * Periodic checkpoints.
 * Default: `{}`.
 */
export interface CheckpointSpec {
  /**
   * Seconds between the triggers of periodic checkpoints.
   * Default: `60`. Range: 1..86400.
   */
  intervalSeconds: number;
  /**
   * Seconds after which an incomplete checkpoint is aborted.
   * Default: `600`. Range: 1..86400.
   */
  timeoutSeconds: number;
  /**
   * Completed checkpoints kept in storage; older ones are deleted.
   * Default: `3`. Range: 1..100.
   */
  retained: number;
}

/**
 * Savepoints (on request and before upgrades).
 * Default: `{}`.
 */
export interface SavepointSpec {
  /**
   * Seconds after which an incomplete savepoint is aborted.
   * Default: `600`. Range: 1..86400.
   */
  timeoutSeconds: number;
  /**
   * Savepoints listed in status.savepoints.history. Without spec.savepoint.retention Sluice never deletes a savepoint's objects.
   * Default: `10`. Range: 1..100.
   */
  historyLimit: number;
  /**
   * Take a savepoint this often (seconds since the last completed savepoint or periodic trigger). Unset: no periodic savepoints.
   * Range: 10..2592000.
   */
  periodicSeconds?: number;
  /** Dispose of savepoints listed in status.savepoints.history (their objects first, then the entry) that are older than maxAge or beyond the newest maxCount (and always beyond historyLimit - 1). The last completed savepoint and any a restore or rollback may need are always kept. Unset: no savepoint is ever deleted. */
  retention?: SpecSavepointRetention;
}

/** Dispose of savepoints listed in status.savepoints.history (their objects first, then the entry) that are older than maxAge or beyond the newest maxCount (and always beyond historyLimit - 1). The last completed savepoint and any a restore or rollback may need are always kept. Unset: no savepoint is ever deleted. */
export interface SpecSavepointRetention {
  /**
   * Dispose of savepoints older than this, e.g. 90s, 30m, 12h, 7d.
   * Length: 0..16. Pattern: `^[1-9][0-9]{0,8}(s|m|h|d)$`.
   */
  maxAge?: string;
  /**
   * Keep at most this many savepoints (the newest).
   * Range: 1..100.
   */
  maxCount?: number;
}

/**
 * How the job recovers from a failed attempt.
 * Default: `{}`.
 */
export interface RestartPolicySpec {
  /**
   * Restarts allowed before the job is marked Failed.
   * Default: `10`. Range: 0..10000.
   */
  maxRestarts: number;
  /**
   * Delay before the first restart; doubled on each further restart.
   * Default: `5`. Range: 0..3600.
   */
  backoffSeconds: number;
  /**
   * Upper bound of the restart delay.
   * Default: `300`. Range: 1..3600.
   */
  maxBackoffSeconds: number;
  /**
   * A worker of a started attempt that is not ready for this long fails the attempt.
   * Default: `300`. Range: 5..3600.
   */
  notReadyTimeoutSeconds: number;
  /**
   * Restart the job from its last completed snapshot when no checkpoint or savepoint completed for this long while it runs (counted from the later of the last completion and the attempt becoming Ready). Must exceed spec.checkpoint.intervalSeconds. Unset: no checkpoint progress check.
   * Range: 10..604800.
   */
  checkpointProgressTimeoutSeconds?: number;
  /** Failure rate limit: a failure after maxRestarts restarts within the preceding windowSeconds marks the job Failed (reason RestartRateExceeded) instead of restarting it. Unset: only maxRestarts limits restarts. */
  restartRateLimit?: SpecRestartPolicyRestartRateLimit;
}

/** Failure rate limit: a failure after maxRestarts restarts within the preceding windowSeconds marks the job Failed (reason RestartRateExceeded) instead of restarting it. Unset: only maxRestarts limits restarts. */
export interface SpecRestartPolicyRestartRateLimit {
  /**
   * Restarts allowed within the window.
   * Range: 1..100.
   */
  maxRestarts: number;
  /**
   * Length of the sliding window.
   * Range: 1..86400.
   */
  windowSeconds: number;
}

/** What failure recovery may do to restore a job (docs/checkpointing.md "Failure recovery"). */
export interface SpecRecovery {
  /**
   * Allow failure recovery to fall back to a snapshot older than the newest completed one when that one's _metadata cannot be read. The sinks already committed the output of every completed snapshot, so the records after the older snapshot are processed again and their output is published twice. false (default): such a fallback is refused and the job is Failed (reason RestoreFallbackRefused) until the newest snapshot is readable again or this is set to true.
   * Default: `false`.
   */
  allowReplayedOutput: boolean;
}

/** Start from the snapshot a StreamJobSnapshot in this namespace recorded (its status.path) when the job has no state yet. The job waits while the snapshot is Pending or InProgress. Not together with initialSavepoint. */
export interface SnapshotReference {
  /**
   * Name of the StreamJobSnapshot.
   * Length: 1..253.
   */
  name: string;
}

/** Every value of {@link OnDeletePolicy}. */
export const ON_DELETE_POLICIES = ['keep', 'savepoint', 'delete'] as const;
/**
 * What deleting the StreamJob does with its state (a finalizer does it, bounded in time): keep (leave checkpoints and savepoints in storage), savepoint (take a final stop-with-savepoint before the workers go, recorded as a StreamJobSnapshot that outlives the job), or delete (delete the job's checkpoints and the savepoints no StreamJobSnapshot with disposeOnDelete false records).
 * Default: `"keep"`.
 */
export type OnDeletePolicy = (typeof ON_DELETE_POLICIES)[number];

/** Object storage for checkpoints and savepoints. Each field unset here comes from the operator's configuration. */
export interface StorageSpec {
  /**
   * S3 endpoint URL without a path, e.g. http://sluice-minio.sluice-system:9000
   * Length: 0..512. Pattern: `^https?://[^\s/]+$`.
   */
  endpoint?: string;
  /**
   * Bucket name.
   * Length: 3..63. Pattern: `^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`.
   */
  bucket?: string;
  /**
   * Key prefix under which <namespace>/<job>/<uid>/ is stored.
   * Length: 0..256. Pattern: `^[A-Za-z0-9!_.*'()/-]*$`.
   */
  prefix?: string;
  /** A Secret in the job's namespace with keys accessKey and secretKey. */
  credentialsSecret?: SecretReference;
}

/** A Secret in the job's namespace with keys accessKey and secretKey. */
export interface SecretReference {
  /**
   * Name of the Secret.
   * Length: 1..253. Pattern: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`.
   */
  name: string;
}

/** Settings applied to every worker pod. */
export interface WorkerPodTemplate {
  /** Extra labels and annotations of the worker pods. */
  metadata?: WorkerPodMetadata;
  /** Compute resources of the worker container (as core/v1 ResourceRequirements). */
  resources?: WorkerResources;
  /**
   * Node labels a worker pod's node must have.
   * At most 32 entries.
   */
  nodeSelector?: Record<string, string>;
  /**
   * Tolerations of the worker pods (core/v1 Toleration).
   * At most 32 items.
   */
  tolerations?: Toleration[];
  /** Affinity of the worker pods (core/v1 Affinity). */
  affinity?: Record<string, unknown>;
  /**
   * Topology spread constraints of the worker pods (core/v1 TopologySpreadConstraint). Unset: the workers of an attempt spread over nodes (kubernetes.io/hostname, maxSkew 1, ScheduleAnyway); an empty list turns the default off.
   * At most 8 items.
   */
  topologySpreadConstraints?: Record<string, unknown>[];
  /**
   * PriorityClass of the worker pods.
   * Length: 0..253.
   */
  priorityClassName?: string;
  /**
   * Secrets (in the job's namespace) used to pull the worker image.
   * At most 8 items.
   */
  imagePullSecrets?: LocalObjectReference[];
  /**
   * Seconds a worker has to stop after SIGTERM.
   * Default: `30`. Range: 0..3600.
   */
  terminationGracePeriodSeconds: number;
  /** User and group ids of the worker process. The rest of the security context is fixed by the operator so that worker pods pass the restricted Pod Security Standard. */
  securityContext?: WorkerSecurityContext;
  /**
   * Extra environment variables of the worker container (core/v1 EnvVar).
   * At most 100 items. Unique by name.
   */
  env?: EnvVar[];
}

/** Extra labels and annotations of the worker pods. */
export interface WorkerPodMetadata {
  /**
   * Labels added to the worker pods.
   * At most 64 entries.
   */
  labels?: Record<string, string>;
  /**
   * Annotations added to the worker pods.
   * At most 64 entries.
   */
  annotations?: Record<string, string>;
}

/** Compute resources of the worker container (as core/v1 ResourceRequirements). */
export interface WorkerResources {
  /**
   * Maximum amounts, e.g. {cpu: "1", memory: 1Gi}.
   * At most 16 entries.
   */
  limits?: Record<string, number | string>;
  /**
   * Minimum amounts the scheduler reserves.
   * At most 16 entries.
   */
  requests?: Record<string, number | string>;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface LocalObjectReference {
  /** Length: 1..253. */
  name: string;
}

/** User and group ids of the worker process. The rest of the security context is fixed by the operator so that worker pods pass the restricted Pod Security Standard. */
export interface WorkerSecurityContext {
  /**
   * Numeric user id (not root); default from the operator configuration.
   * Range: 1..2147483647.
   */
  runAsUser?: number;
  /**
   * Numeric primary group id.
   * Range: 0..2147483647.
   */
  runAsGroup?: number;
  /**
   * Group that owns the pod's volumes.
   * Range: 0..2147483647.
   */
  fsGroup?: number;
}

export interface EnvVar {
  /** Length: 1..253. Pattern: `^[-._a-zA-Z][-._a-zA-Z0-9]*$`. */
  name: string;
  /** Length: 0..32768. */
  value?: string;
  valueFrom?: Record<string, unknown>;
}

/** What the operator observed and did. Written only by the operator, through the status subresource. */
export interface StreamJobStatus {
  /** Lifecycle phase: Starting (workers of the current attempt are being created or are not all ready), Running (all ready), Suspending/Suspended, Restarting (a new attempt after a failure or a restart request), Upgrading (a new attempt for a changed spec), RollingBack (a new attempt of the last spec that ran, after a changed spec did not become Running in time), Finished (every worker exited successfully: bounded input is exhausted), Failed (restart budget exhausted). */
  phase?: StreamJobPhase;
  /** The metadata.generation this status was computed for. */
  observedGeneration?: number;
  /**
   * Ready, Progressing, Degraded and CheckpointsHealthy, in the metav1.Condition shape.
   * At most 16 items. Unique by type.
   */
  conditions?: Condition[];
  /**
   * The current attempt (1 for the first set of workers); every restart, resume or upgrade starts a new attempt with new pods. 0 before the first attempt.
   * Range: 0..∞.
   */
  attempt?: number;
  /**
   * Hash of the worker-shaping spec (and operator storage defaults) the current attempt runs.
   * Length: 0..64.
   */
  attemptSpecHash?: string;
  /**
   * When the current attempt was started.
   * RFC 3339 timestamp.
   */
  attemptStartedAt?: string;
  /**
   * Why the current attempt was started (Created, Resumed, SpecChanged, RestartRequested, ...).
   * Length: 0..64.
   */
  attemptReason?: string;
  /**
   * Failure restarts counted against spec.restartPolicy.maxRestarts.
   * Range: 0..∞.
   */
  restarts?: number;
  /**
   * Restarts because an external system the job uses was unavailable (brokers not reachable, a topic missing) since the last completed snapshot. Not counted against spec.restartPolicy.maxRestarts; the backoff doubles with each.
   * Range: 0..∞.
   */
  unavailableRestarts?: number;
  /**
   * When the most recent failure restarts happened, oldest first (as many as spec.restartPolicy.restartRateLimit.maxRestarts needs).
   * At most 100 items.
   */
  recentRestarts?: string[];
  /** Worker pods of the current attempt. */
  workers?: WorkersStatus;
  /** Checkpoint bookkeeping of the checkpoint coordinator. */
  checkpoints?: CheckpointsStatus;
  /** Savepoints taken for this job. */
  savepoints?: SavepointsStatus;
  /** The snapshot the current attempt restored from; absent for a fresh start. */
  restoredFrom?: RestoredFrom;
  /** A savepoint-mode upgrade or suspend in progress: the running attempt is held until its stop-with-savepoint completed or failed; then the new attempt is verified (stage Verifying). */
  upgrade?: UpgradeState;
  /** The last spec whose attempt became Running: the target of a rollback (spec is a copy of .spec at that generation; it holds no credentials, only Secret names). */
  lastStableSpec?: StatusLastStableSpec;
  /** Set while the job runs lastStableSpec instead of .spec because the upgrade to generation did not become Running in time; cleared by the next spec change. */
  rollback?: StatusRollback;
  /** The last handled value of each request annotation (sluice.dev/savepoint, sluice.dev/checkpoint, sluice.dev/restart) and what became of it. */
  lastHandledRequests?: HandledRequests;
}

/** Every value of {@link StreamJobPhase}. */
export const STREAM_JOB_PHASES = [
  'Starting',
  'Running',
  'Suspending',
  'Suspended',
  'Restarting',
  'Upgrading',
  'RollingBack',
  'Finished',
  'Failed',
] as const;
/** Lifecycle phase: Starting (workers of the current attempt are being created or are not all ready), Running (all ready), Suspending/Suspended, Restarting (a new attempt after a failure or a restart request), Upgrading (a new attempt for a changed spec), RollingBack (a new attempt of the last spec that ran, after a changed spec did not become Running in time), Finished (every worker exited successfully: bounded input is exhausted), Failed (restart budget exhausted). */
export type StreamJobPhase = (typeof STREAM_JOB_PHASES)[number];

export interface Condition {
  /**
   * Condition type, e.g. Ready.
   * Length: 0..316. Pattern: `^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$`.
   */
  type: string;
  /** True, False or Unknown. */
  status: ConditionStatus;
  /**
   * The metadata.generation the condition was computed for.
   * Range: 0..∞.
   */
  observedGeneration?: number;
  /**
   * When status last changed (RFC 3339); unchanged when only reason or message change.
   * RFC 3339 timestamp.
   */
  lastTransitionTime: string;
  /**
   * CamelCase reason of the last transition.
   * Length: 1..1024. Pattern: `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`.
   */
  reason: string;
  /**
   * Human-readable details.
   * Length: 0..32768.
   */
  message: string;
}

/** Every value of {@link ConditionStatus}. */
export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
/** True, False or Unknown. */
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

/** Worker pods of the current attempt. */
export interface WorkersStatus {
  /**
   * Ready worker pods.
   * Range: 0..∞.
   */
  ready?: number;
  /**
   * Worker pods the attempt needs (its parallelism).
   * Range: 0..∞.
   */
  total?: number;
}

/** Checkpoint bookkeeping of the checkpoint coordinator. */
export interface CheckpointsStatus {
  /** The last checkpoint or savepoint id handed out (ids are monotonic per job). */
  lastTriggered?: TriggeredSnapshot;
  /** The snapshot being taken, if any. */
  inProgress?: InProgressSnapshot;
  /** The last completed checkpoint; failure recovery restores from it. */
  lastCompleted?: CompletedCheckpoint;
  /**
   * Checkpoints aborted or failed since the job was created.
   * Range: 0..∞.
   */
  failed?: number;
  lastFailure?: CheckpointFailure;
}

/** The last checkpoint or savepoint id handed out (ids are monotonic per job). */
export interface TriggeredSnapshot {
  /** Range: 1..∞. */
  id: number;
  kind?: SnapshotKind;
  /** Object-key prefix of the snapshot directory. */
  path?: string;
  /** RFC 3339 timestamp. */
  triggeredAt?: string;
}

/** Every value of {@link SnapshotKind}. */
export const SNAPSHOT_KINDS = ['checkpoint', 'savepoint'] as const;
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];

/** The snapshot being taken, if any. */
export interface InProgressSnapshot {
  /** Range: 1..∞. */
  id: number;
  kind?: SnapshotKind;
  path?: string;
  /** RFC 3339 timestamp. */
  triggeredAt?: string;
  /** The user request it serves, if any. */
  nonce?: string;
}

/** The last completed checkpoint; failure recovery restores from it. */
export interface CompletedCheckpoint {
  /** Range: 1..∞. */
  id: number;
  /** Object-key prefix of the checkpoint directory (contains _metadata). */
  path: string;
  /** RFC 3339 timestamp. */
  completedAt?: string;
  /**
   * Milliseconds from trigger to completion.
   * Range: 0..∞.
   */
  durationMs?: number;
  /**
   * Size of the checkpoint's whole state in bytes: the files in its directory and, for incremental checkpoints, the shared files it references.
   * Range: 0..∞.
   */
  bytes?: number;
  /**
   * Bytes the workers uploaded for this checkpoint (equal to bytes unless it is incremental).
   * Range: 0..∞.
   */
  uploadedBytes?: number;
}

export interface CheckpointFailure {
  id?: number;
  reason?: string;
  message?: string;
  /** RFC 3339 timestamp. */
  failedAt?: string;
}

/** Savepoints taken for this job. */
export interface SavepointsStatus {
  /** The last completed savepoint. */
  last?: CompletedSavepoint;
  /**
   * When the last periodic savepoint (spec.savepoint.periodicSeconds) was triggered.
   * RFC 3339 timestamp.
   */
  lastPeriodicTriggeredAt?: string;
  /**
   * Completed savepoints, newest first, at most spec.savepoint.historyLimit.
   * At most 100 items.
   */
  history?: CompletedSavepoint[];
}

/** The last completed savepoint. */
export interface CompletedSavepoint {
  id: number;
  /** Object-key prefix of the savepoint directory. */
  path: string;
  nonce?: string;
  /** RFC 3339 timestamp. */
  completedAt?: string;
  bytes?: number;
}

/** The snapshot the current attempt restored from; absent for a fresh start. */
export interface RestoredFrom {
  path: string;
  kind?: SnapshotKind;
  id?: number;
}

/** A savepoint-mode upgrade or suspend in progress: the running attempt is held until its stop-with-savepoint completed or failed; then the new attempt is verified (stage Verifying). */
export interface UpgradeState {
  /** specChange (default) holds a SpecChanged attempt; suspend holds deleting the pods. */
  kind?: UpgradeKind;
  /** status.attemptSpecHash of the spec being upgraded to. */
  targetSpecHash: string;
  /** Savepointing: the stop-with-savepoint is wanted or in progress. SavepointTaken: it completed and the new attempt may start. SavepointFailed: it was aborted; the new attempt starts from the last completed checkpoint. Verifying: the new attempt started and has spec.upgradeTimeoutSeconds to become Running, or the job rolls back. */
  stage: UpgradeStage;
  /** Id of the stop-with-savepoint once taken. */
  savepointId?: number;
  /** In stage Verifying, the snapshot the new attempt restored, which a rollback restores too. */
  rollbackFrom?: RestoredFrom;
  /** Parallelism of the running attempt when the upgrade began: until the new attempt starts, its pods are kept and addressed at this parallelism. */
  attemptParallelism: number;
  /** RFC 3339 timestamp. */
  startedAt: string;
  message?: string;
}

/** Every value of {@link UpgradeKind}. */
export const UPGRADE_KINDS = ['specChange', 'suspend'] as const;
/** specChange (default) holds a SpecChanged attempt; suspend holds deleting the pods. */
export type UpgradeKind = (typeof UPGRADE_KINDS)[number];

/** Every value of {@link UpgradeStage}. */
export const UPGRADE_STAGES = ['Savepointing', 'SavepointTaken', 'SavepointFailed', 'Verifying'] as const;
/** Savepointing: the stop-with-savepoint is wanted or in progress. SavepointTaken: it completed and the new attempt may start. SavepointFailed: it was aborted; the new attempt starts from the last completed checkpoint. Verifying: the new attempt started and has spec.upgradeTimeoutSeconds to become Running, or the job rolls back. */
export type UpgradeStage = (typeof UPGRADE_STAGES)[number];

/** The last spec whose attempt became Running: the target of a rollback (spec is a copy of .spec at that generation; it holds no credentials, only Secret names). */
export interface StatusLastStableSpec {
  generation: number;
  /** Hash of the worker-shaping part of that spec (status.attemptSpecHash of its attempt). */
  specHash: string;
  spec: Record<string, unknown>;
}

/** Set while the job runs lastStableSpec instead of .spec because the upgrade to generation did not become Running in time; cleared by the next spec change. */
export interface StatusRollback {
  /** The generation of .spec that was rolled back. */
  generation: number;
  /** The generation of the spec running instead (lastStableSpec.generation). */
  toGeneration: number;
  /** The snapshot the rolled-back attempt restored (the upgrade's savepoint). */
  restoredFrom: StatusRollbackRestoredFrom;
  /** RFC 3339 timestamp. */
  rolledBackAt: string;
  message: string;
}

/** The snapshot the rolled-back attempt restored (the upgrade's savepoint). */
export interface StatusRollbackRestoredFrom {
  path: string;
  kind?: 'checkpoint' | 'savepoint';
  id?: number;
}

/** The last handled value of each request annotation (sluice.dev/savepoint, sluice.dev/checkpoint, sluice.dev/restart) and what became of it. */
export interface HandledRequests {
  savepoint?: HandledSnapshotRequest;
  checkpoint?: HandledSnapshotRequest;
  restart?: HandledRequest;
}

export interface HandledSnapshotRequest {
  nonce: string;
  result: RequestResult;
  message?: string;
  /** RFC 3339 timestamp. */
  handledAt?: string;
  /** Id of the snapshot that serves the request (set from Accepted on). */
  id?: number;
  /** Object-key prefix of that snapshot's directory. */
  path?: string;
}

/** Every value of {@link RequestResult}. */
export const REQUEST_RESULTS = ['Accepted', 'Rejected', 'Completed', 'Failed'] as const;
export type RequestResult = (typeof REQUEST_RESULTS)[number];

export interface HandledRequest {
  nonce: string;
  result: RequestResult;
  message?: string;
  /** RFC 3339 timestamp. */
  handledAt?: string;
}
