// GENERATED FROM crds/sluice.dev_streamjobsnapshots.yaml by operator/src/codegen/generate-api-types.ts.
// DO NOT EDIT: change the CRD and run `node operator/src/codegen/generate-api-types.ts`.
/**
 * The StreamJobSnapshot API (sluice.dev/v1alpha1) as TypeScript types, shared by the operator and the
 * worker runtime. Types describe objects as read from the API server, where defaults are applied:
 * a field with a schema default is never absent.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';

/** API group of StreamJobSnapshot. */
export const STREAMJOBSNAPSHOT_GROUP = 'sluice.dev';
/** Served (and stored) version. */
export const STREAMJOBSNAPSHOT_VERSION = 'v1alpha1';
/** `apiVersion` of StreamJobSnapshot objects. */
export const STREAMJOBSNAPSHOT_API_VERSION = 'sluice.dev/v1alpha1';
/** `kind` of StreamJobSnapshot objects. */
export const STREAMJOBSNAPSHOT_KIND = 'StreamJobSnapshot';
/** Resource name in URLs: /apis/<group>/<version>/namespaces/<ns>/<plural>. */
export const STREAMJOBSNAPSHOT_PLURAL = 'streamjobsnapshots';

/** One savepoint or checkpoint of a StreamJob. Creating one (without alreadyExists) triggers a snapshot of the named job; its status reports the id, path, size and result. The operator also records the savepoints it takes for annotations, periodic savepoints, upgrades and suspends as objects with alreadyExists true. A StreamJob starts from one with spec.initialSavepointRef. */
export interface StreamJobSnapshot {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  /** What to snapshot. Immutable once created. */
  spec: StreamJobSnapshotSpec;
  /** Observed state, written by the operator. */
  status?: StreamJobSnapshotStatus;
}

/** What to snapshot. Immutable once created. */
export interface StreamJobSnapshotSpec {
  /**
   * Name of the StreamJob (in this namespace) to snapshot.
   * Length: 1..63. Pattern: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`.
   */
  jobName: string;
  /**
   * savepoint (default; kept until disposed of, usable as an initial savepoint) or checkpoint (subject to the job's checkpoint retention).
   * Default: `"savepoint"`.
   */
  kind: SnapshotObjectKind;
  /**
   * Delete the snapshot's data from storage when this object is deleted (a finalizer does it, bounded in time: when storage does not answer, the object goes anyway and a Warning Event names what was left). Default false: deleting the object keeps the data.
   * Default: `false`.
   */
  disposeOnDelete: boolean;
  /**
   * The snapshot was taken already (set by the operator on the objects that record annotation, periodic and upgrade savepoints): nothing is triggered.
   * Default: `false`.
   */
  alreadyExists: boolean;
}

/** Every value of {@link SnapshotObjectKind}. */
export const SNAPSHOT_OBJECT_KINDS = ['savepoint', 'checkpoint'] as const;
/**
 * savepoint (default; kept until disposed of, usable as an initial savepoint) or checkpoint (subject to the job's checkpoint retention).
 * Default: `"savepoint"`.
 */
export type SnapshotObjectKind = (typeof SNAPSHOT_OBJECT_KINDS)[number];

/** Observed state, written by the operator. */
export interface StreamJobSnapshotStatus {
  /** metadata.generation this status was computed from. */
  observedGeneration?: number;
  /** Pending (not triggered yet), InProgress, Completed (id, path, bytes set) or Failed (reason and message set). */
  phase?: SnapshotPhase;
  /** Who took the snapshot: Requested (this object), Annotation (a sluice.dev/savepoint request), Periodic (spec.savepoint.periodicSeconds) or StopWithSavepoint (a savepoint-mode upgrade or suspend). */
  origin?: SnapshotOrigin;
  /**
   * The request nonce this object triggered the snapshot with.
   * Length: 0..63.
   */
  nonce?: string;
  /** Snapshot id (checkpoints and savepoints share one sequence per job). */
  id?: number;
  /**
   * Where the snapshot is: s3://<bucket>/<directory> (the form spec.initialSavepoint takes).
   * Length: 0..1024.
   */
  path?: string;
  /** Size of the snapshot's state files, bytes. */
  bytes?: number;
  /**
   * metadata.uid of the StreamJob the snapshot is of.
   * Length: 0..64.
   */
  jobUid?: string;
  /** RFC 3339 timestamp. */
  triggeredAt?: string;
  /** RFC 3339 timestamp. */
  completedAt?: string;
  /**
   * Why the snapshot failed (CamelCase).
   * Length: 0..128.
   */
  reason?: string;
  /**
   * What happened, for people.
   * Length: 0..4096.
   */
  message?: string;
}

/** Every value of {@link SnapshotPhase}. */
export const SNAPSHOT_PHASES = ['Pending', 'InProgress', 'Completed', 'Failed'] as const;
/** Pending (not triggered yet), InProgress, Completed (id, path, bytes set) or Failed (reason and message set). */
export type SnapshotPhase = (typeof SNAPSHOT_PHASES)[number];

/** Every value of {@link SnapshotOrigin}. */
export const SNAPSHOT_ORIGINS = ['Requested', 'Annotation', 'Periodic', 'StopWithSavepoint'] as const;
/** Who took the snapshot: Requested (this object), Annotation (a sluice.dev/savepoint request), Periodic (spec.savepoint.periodicSeconds) or StopWithSavepoint (a savepoint-mode upgrade or suspend). */
export type SnapshotOrigin = (typeof SNAPSHOT_ORIGINS)[number];
