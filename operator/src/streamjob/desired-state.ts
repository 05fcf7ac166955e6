/**
 * The Kubernetes objects a StreamJob should have, as pure functions of the job, its attempt and
 * the operator's settings — no I/O, so every field is unit-tested and the reconciler only
 * compares and writes. The checkpoint coordinator plugs in here: it decides `attempt` and
 * `restoreFrom` (persisted in status before any pod of the attempt exists), and
 * {@link desiredWorkers} turns them into pods.
 *
 * Worker pods pass the `restricted` Pod Security Standard: non-root numeric user, RuntimeDefault
 * seccomp, no privilege escalation, all capabilities dropped, read-only root filesystem with an
 * emptyDir at /tmp.
 *
 * Worker pods are Ready only when the runtime says so: SLUICE_HEALTH_PORT turns on its health
 * endpoint and a readinessProbe asks `GET /readyz` (200 once the worker runs and is connected to
 * every peer, see runtime-image/src/control/health-server.ts).
 */
import { createHash } from 'node:crypto';
import type {
  V1EnvVar,
  V1OwnerReference,
  V1Pod,
  V1Probe,
  V1ResourceRequirements,
  V1Service,
  V1TopologySpreadConstraint,
} from '@kubernetes/client-node';
import { ENV } from '@sluice/api/protocol.ts';
import {
  STREAMJOB_API_VERSION,
  STREAMJOB_KIND,
  type StreamJob,
  type WorkerResources,
} from '@sluice/api/streamjob.ts';
import {
  ANN_SPEC_HASH,
  DATA_PORT_NAME,
  LABEL_ATTEMPT,
  LABEL_SUBTASK,
  WORKER_CONTAINER,
  commonLabels,
  shuffleTokenSecretName,
  snapshotKeySecretName,
  workerIdentityName,
  workerPodName,
  workerSelector,
  workerServiceName,
} from './names.ts';
import type { EffectiveStorage } from './storage.ts';
import { stateBackendEnv, stateVolume } from './state-backend.ts';

/** Operator-wide settings of worker pods (from configuration). */
export interface WorkerSettings {
  /** Default numeric uid of the worker process (spec.podTemplate.securityContext.runAsUser wins). */
  runAsUser: number;
  /** Default numeric gid. */
  runAsGroup: number;
  /** TCP port of the shuffle listener (SLUICE_DATA_PORT). */
  dataPort: number;
  /**
   * TCP port of the worker's health endpoint (SLUICE_HEALTH_PORT), probed by the kubelet; unset:
   * {@link workerHealthPort}'s default. Unset leaves workerSpecHash unchanged (undefined fields
   * are not hashed), so running jobs are not restarted by an operator that gained the probe.
   */
  healthPort?: number;
}

/** Default port of the worker health endpoint (next to the default data port 7070). */
export const DEFAULT_WORKER_HEALTH_PORT = 7071;
/** Volume of the storage credentials Secret in worker pods. */
export const STORAGE_CREDENTIALS_VOLUME = 'storage-credentials';
/** Where worker containers see it (SLUICE_STORAGE_CREDENTIALS_DIR). */
export const STORAGE_CREDENTIALS_MOUNT = '/var/run/sluice/storage-credentials';
/** Name of the container port of the worker health endpoint. */
export const HEALTH_PORT_NAME = 'health';

/**
 * The health endpoint's port: `worker.healthPort`, else 7071 — or 7072 when the data port is
 * 7071 (two listeners cannot share a port).
 */
export function workerHealthPort(worker: WorkerSettings): number {
  if (worker.healthPort !== undefined) return worker.healthPort;
  return worker.dataPort === DEFAULT_WORKER_HEALTH_PORT
    ? DEFAULT_WORKER_HEALTH_PORT + 1
    : DEFAULT_WORKER_HEALTH_PORT;
}

/**
 * The worker container's readinessProbe: `GET /readyz` on the health port every second. The
 * runtime answers 200 only while it runs connected to all peers (phases running and stopping),
 * 503 while it dials its peers or has stopped; while it restores a snapshot the endpoint does not
 * listen yet, which fails the probe as well. Five failed probes in a row (a
 * worker unresponsive for about 5 s, e.g. a long synchronous snapshot encode) make it not ready;
 * one success makes it ready again.
 *
 * No liveness or startup probe: the endpoint only listens after the snapshot is restored (which
 * may take long for large state), and a liveness failure kills the container, which with
 * restartPolicy Never fails the attempt — a busy event loop would restart a healthy job. Workers
 * that stay not ready are already failed by spec.restartPolicy.notReadyTimeoutSeconds.
 */
export function workerReadinessProbe(): V1Probe {
  return {
    httpGet: { path: '/readyz', port: HEALTH_PORT_NAME, scheme: 'HTTP' },
    periodSeconds: 1,
    timeoutSeconds: 2,
    successThreshold: 1,
    failureThreshold: 5,
  };
}

/** Everything that shapes the pods of one attempt. */
export interface AttemptContext {
  /** The StreamJob; `metadata.name`, `namespace` and `uid` must be set. */
  job: StreamJob;
  storage: EffectiveStorage;
  worker: WorkerSettings;
  /** Attempt number (≥ 1). */
  attempt: number;
  /** Object-key prefix of the snapshot to restore (chk-N or sp-N-nonce dir); undefined for a fresh start. */
  restoreFrom?: string;
}

/** The job's name, namespace and uid. @throws Error when one is missing */
export function jobMeta(job: StreamJob): { name: string; namespace: string; uid: string } {
  const { name, namespace, uid } = job.metadata ?? {};
  if (!name || !namespace || !uid) {
    throw new Error(`StreamJob ${namespace ?? '?'}/${name ?? '?'} lacks metadata name, namespace or uid`);
  }
  return { name, namespace, uid };
}

/** The controller ownerReference to `job` that every created object carries (garbage collection, adoption checks). */
export function ownerReference(job: StreamJob): V1OwnerReference {
  const { name, uid } = jobMeta(job);
  return {
    apiVersion: STREAMJOB_API_VERSION,
    kind: STREAMJOB_KIND,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Hash (16 hex digits of SHA-256) of everything that shapes a worker pod: image, job entry and
 * config, parallelism, maxParallelism, allowNonRestoredState, podTemplate, a non-heap
 * stateBackend, the effective storage and the worker settings. A change means the running attempt no longer matches the spec.
 * Excluded: state, upgradeMode, checkpoint/savepoint/restart settings and initialSavepoint,
 * which the operator applies without new pods.
 */
export function workerSpecHash(job: StreamJob, storage: EffectiveStorage, worker: WorkerSettings): string {
  const s = job.spec;
  const shaping = {
    image: s.image,
    imagePullPolicy: s.imagePullPolicy,
    job: s.job,
    parallelism: s.parallelism,
    maxParallelism: s.maxParallelism,
    allowNonRestoredState: s.allowNonRestoredState,
    podTemplate: s.podTemplate ?? {},
    // Only a non-default backend shapes the pods: heap jobs keep the hash they had before the field.
    ...(s.stateBackend && s.stateBackend.type !== 'heap' ? { stateBackend: s.stateBackend } : {}),
    storage: {
      endpoint: storage.endpoint,
      bucket: storage.bucket,
      jobPrefix: storage.jobPrefix,
      secret: storage.secretName,
    },
    worker,
  };
  return createHash('sha256').update(canonicalJson(shaping)).digest('hex').slice(0, 16);
}

/** core/v1 ResourceRequirements from the CRD's int-or-string quantities (integers become decimal strings). */
export function toResourceRequirements(r: WorkerResources): V1ResourceRequirements {
  const q = (m: Record<string, number | string> | undefined) =>
    m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) : undefined;
  const out: V1ResourceRequirements = {};
  const limits = q(r.limits);
  const requests = q(r.requests);
  if (limits) out.limits = limits;
  if (requests) out.requests = requests;
  return out;
}

/** Labels of the worker pod of subtask `index` in `attempt`, user labels first (ours win). */
export function workerPodLabels(job: StreamJob, attempt: number, index: number): Record<string, string> {
  const { name } = jobMeta(job);
  return {
    ...(job.spec.podTemplate?.metadata?.labels ?? {}),
    ...commonLabels(name),
    ...workerSelector(name),
    [LABEL_ATTEMPT]: String(attempt),
    [LABEL_SUBTASK]: String(index),
  };
}

/** The environment of subtask `index` (names from api/src/protocol.ts ENV), then the user's `podTemplate.env`. */
export function workerEnv(ctx: AttemptContext, index: number): V1EnvVar[] {
  const { job, storage, worker, attempt } = ctx;
  const { name, namespace, uid } = jobMeta(job);
  const s = job.spec;
  const secretRef = (key: string) => ({ secretKeyRef: { name: storage.secretName, key } });
  const fieldRef = (fieldPath: string) => ({ fieldRef: { apiVersion: 'v1', fieldPath } });
  const env: V1EnvVar[] = [
    { name: ENV.jobName, value: name },
    { name: ENV.jobNamespace, value: namespace },
    { name: ENV.jobUid, value: uid },
    { name: ENV.jobEntry, value: s.job.entry },
    { name: ENV.jobConfig, value: JSON.stringify(s.job.config ?? {}) },
    { name: ENV.subtaskIndex, value: String(index) },
    { name: ENV.parallelism, value: String(s.parallelism) },
    { name: ENV.maxParallelism, value: String(s.maxParallelism) },
    { name: ENV.attempt, value: String(attempt) },
    { name: ENV.podName, valueFrom: fieldRef('metadata.name') },
    { name: ENV.podNamespace, valueFrom: fieldRef('metadata.namespace') },
    { name: ENV.peerService, value: workerServiceName(name) },
    { name: ENV.dataPort, value: String(worker.dataPort) },
    { name: ENV.healthPort, value: String(workerHealthPort(worker)) },
    { name: ENV.storageEndpoint, value: storage.endpoint },
    { name: ENV.storageBucket, value: storage.bucket },
    { name: ENV.storagePrefix, value: storage.jobPrefix },
    { name: ENV.storageAccessKey, valueFrom: secretRef('accessKey') },
    { name: ENV.storageSecretKey, valueFrom: secretRef('secretKey') },
    // Minted credentials have one; a job's own Secret may not (docs/security.md).
    {
      name: ENV.storageSessionToken,
      valueFrom: { secretKeyRef: { name: storage.secretName, key: 'sessionToken', optional: true } },
    },
    // Renewed credentials reach running workers through the mounted Secret (docs/security.md).
    { name: ENV.storageCredentialsDir, value: STORAGE_CREDENTIALS_MOUNT },
    { name: ENV.restoreFrom, value: ctx.restoreFrom ?? '' },
    { name: ENV.allowNonRestoredState, value: String(s.allowNonRestoredState) },
    { name: ENV.checkpointIntervalMs, value: String(s.checkpoint.intervalSeconds * 1000) },
    { name: ENV.checkpointTimeoutMs, value: String(s.checkpoint.timeoutSeconds * 1000) },
    { name: ENV.controlMode, value: 'pod' },
    ...stateBackendEnv(s),
    // The attempt's shuffle token (shuffle-token.ts); the Secret is written before the pods.
    {
      name: ENV.shuffleToken,
      valueFrom: { secretKeyRef: { name: shuffleTokenSecretName(name), key: 'token' } },
    },
    // The job's snapshot key (snapshot-key.ts): verifies `_metadata` on restore.
    {
      name: ENV.snapshotKey,
      valueFrom: { secretKeyRef: { name: snapshotKeySecretName(name), key: 'key' } },
    },
  ];
  for (const e of s.podTemplate?.env ?? []) env.push(e as V1EnvVar);
  return env;
}

/**
 * The worker pod of subtask `index` of `ctx.attempt`.
 * @throws Error when the job lacks metadata name, namespace or uid.
 */
export function desiredWorkerPod(ctx: AttemptContext, index: number, specHash: string): V1Pod {
  const { job, worker, attempt } = ctx;
  const { name, namespace } = jobMeta(job);
  const s = job.spec;
  const t = s.podTemplate;
  const podName = workerPodName(name, attempt, index);
  const sc = t?.securityContext ?? {};
  const state = stateVolume(s);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName,
      namespace,
      labels: workerPodLabels(job, attempt, index),
      annotations: { ...(t?.metadata?.annotations ?? {}), [ANN_SPEC_HASH]: specHash },
      ownerReferences: [ownerReference(job)],
    },
    spec: {
      hostname: podName,
      subdomain: workerServiceName(name),
      serviceAccountName: workerIdentityName(name),
      // Workers watch and annotate their own pod (checkpoint protocol), so they need a token.
      automountServiceAccountToken: true,
      // A failed worker fails the attempt; the operator replaces all workers, never one in place.
      restartPolicy: 'Never',
      enableServiceLinks: false,
      terminationGracePeriodSeconds: t?.terminationGracePeriodSeconds ?? 30,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: sc.runAsUser ?? worker.runAsUser,
        runAsGroup: sc.runAsGroup ?? worker.runAsGroup,
        // A claimed state volume is root-owned until fsGroup makes it the worker's (docs/state.md).
        ...(sc.fsGroup !== undefined || state?.volume.ephemeral
          ? { fsGroup: sc.fsGroup ?? sc.runAsGroup ?? worker.runAsGroup }
          : {}),
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: WORKER_CONTAINER,
          image: s.image,
          imagePullPolicy: s.imagePullPolicy,
          ports: [
            { name: DATA_PORT_NAME, containerPort: worker.dataPort, protocol: 'TCP' },
            { name: HEALTH_PORT_NAME, containerPort: workerHealthPort(worker), protocol: 'TCP' },
          ],
          env: workerEnv(ctx, index),
          readinessProbe: workerReadinessProbe(),
          ...(t?.resources ? { resources: toResourceRequirements(t.resources) } : {}),
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: [
            { name: 'tmp', mountPath: '/tmp' },
            { name: STORAGE_CREDENTIALS_VOLUME, mountPath: STORAGE_CREDENTIALS_MOUNT, readOnly: true },
            ...(state ? [state.mount] : []),
          ],
        },
      ],
      volumes: [
        { name: 'tmp', emptyDir: {} },
        {
          name: STORAGE_CREDENTIALS_VOLUME,
          // Every key: a job's own Secret may have no sessionToken.
          secret: { secretName: ctx.storage.secretName },
        },
        ...(state ? [state.volume] : []),
      ],
      ...(t?.nodeSelector ? { nodeSelector: t.nodeSelector } : {}),
      ...(t?.tolerations ? { tolerations: t.tolerations } : {}),
      ...(t?.affinity ? { affinity: t.affinity } : {}),
      topologySpreadConstraints:
        (t?.topologySpreadConstraints as V1TopologySpreadConstraint[] | undefined) ??
        defaultSpread(name, attempt),
      ...(t?.priorityClassName ? { priorityClassName: t.priorityClassName } : {}),
      ...(t?.imagePullSecrets ? { imagePullSecrets: t.imagePullSecrets } : {}),
    },
  };
}

/**
 * The default spread of an attempt's workers over nodes (docs/operator.md, "Worker pods"): at
 * most one more worker on any node than on another, as a preference (ScheduleAnyway), so that
 * one lost node takes as few workers as the cluster allows while a small cluster still runs
 * every worker.
 */
export function defaultSpread(job: string, attempt: number): V1TopologySpreadConstraint[] {
  return [
    {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { ...workerSelector(job), [LABEL_ATTEMPT]: String(attempt) } },
    },
  ];
}

/** One pod per subtask index 0..parallelism-1 of the attempt, in index order. */
export function desiredWorkers(ctx: AttemptContext, specHash: string): V1Pod[] {
  return Array.from({ length: ctx.job.spec.parallelism }, (_, i) => desiredWorkerPod(ctx, i, specHash));
}

/**
 * The headless Service `<job>-workers` that gives every worker pod (any attempt) the DNS name
 * `<pod>.<job>-workers.<ns>.svc`. Not-ready pods are published too: workers must reach each
 * other to become ready.
 */
export function desiredService(job: StreamJob, worker: WorkerSettings): V1Service {
  const { name, namespace } = jobMeta(job);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: workerServiceName(name),
      namespace,
      labels: commonLabels(name),
      ownerReferences: [ownerReference(job)],
    },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: workerSelector(name),
      ports: [{ name: DATA_PORT_NAME, port: worker.dataPort, targetPort: worker.dataPort, protocol: 'TCP' }],
    },
  };
}
