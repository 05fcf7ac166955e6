/**
 * Names and labels of everything the operator creates for a StreamJob `<job>`. This is a
 * contract with the worker runtime and with users (documented in docs/operator.md):
 *
 * | object | name |
 * |---|---|
 * | worker pod of subtask i in attempt a | `<job>-<a>-<i>` (also its hostname) |
 * | headless Service (pod subdomain) | `<job>-workers` → `<job>-<a>-<i>.<job>-workers.<ns>.svc` |
 * | ServiceAccount, Role, RoleBinding of the workers | `<job>-worker` |
 * | the job's minted storage credentials (job-credentials.ts) | `<job>-storage-credentials` |
 * | the current attempt's shuffle token | `<job>-shuffle-token` |
 * | the job's snapshot key (signs `_metadata`) | `<job>-snapshot-key` |
 *
 * The CRD limits job names to 45-character DNS labels, so every name above is a valid DNS
 * label (≤ 63) for attempts below 10^10 and parallelism ≤ 1024. Pod names are unambiguous:
 * the last two dash-separated fields are always attempt and index.
 */
import { workerPeerHost, workerPodName as protocolPodName } from '@sluice/api/protocol.ts';

/** Job name, on every object the operator creates for it. */
export const LABEL_JOB = 'sluice.dev/job';
/** Attempt number (decimal), on worker pods. */
export const LABEL_ATTEMPT = 'sluice.dev/attempt';
/** Subtask index (decimal, from 0), on worker pods. */
export const LABEL_SUBTASK = 'sluice.dev/subtask';
/** Hash of the worker-shaping spec a pod was created from (workerSpecHash in desired-state.ts). */
export const ANN_SPEC_HASH = 'sluice.dev/spec-hash';

/** Value of `app.kubernetes.io/managed-by` on everything the operator creates. */
export const MANAGED_BY = 'sluice-operator';
/** Name of the worker container. */
export const WORKER_CONTAINER = 'worker';
/** Name of the container port of the shuffle listener. */
export const DATA_PORT_NAME = 'data';
/** `reportingController` of Events and field manager of writes. */
export const CONTROLLER_NAME = 'sluice.dev/operator';

/**
 * Pod (and hostname) of subtask `index` in attempt `attempt`: `<job>-<attempt>-<index>`.
 * Re-exported from api/src/protocol.ts, which the worker runtime uses to find its peers.
 */
export const workerPodName = protocolPodName;

/** The headless Service that gives worker pods DNS names: `<job>-workers`. */
export function workerServiceName(job: string): string {
  return `${job}-workers`;
}

/** ServiceAccount, Role and RoleBinding of the workers: `<job>-worker`. */
export function workerIdentityName(job: string): string {
  return `${job}-worker`;
}

/** The job's minted storage credentials Secret (job-credentials.ts). */
export function storageSecretName(job: string): string {
  return `${job}-storage-credentials`;
}

/** The Secret with the current attempt's shuffle token (key `token`): `<job>-shuffle-token`. */
export function shuffleTokenSecretName(job: string): string {
  return `${job}-shuffle-token`;
}

/** The Secret with the job's snapshot key (key `key`), kept for the job's life: `<job>-snapshot-key`. */
export function snapshotKeySecretName(job: string): string {
  return `${job}-snapshot-key`;
}

/** DNS name of a worker pod inside the cluster: `<pod>.<service>.<namespace>.svc`. */
export function workerHost(job: string, namespace: string, attempt: number, index: number): string {
  return workerPeerHost(workerPodName(job, attempt, index), workerServiceName(job), namespace);
}

/** Labels every object created for `job` carries (selector-safe: no attempt or index). */
export function commonLabels(job: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'sluice',
    'app.kubernetes.io/instance': job,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [LABEL_JOB]: job,
  };
}

/** Label selector of every worker pod of `job`, any attempt. */
export function workerSelector(job: string): Record<string, string> {
  return { [LABEL_JOB]: job, 'app.kubernetes.io/component': 'worker' };
}

/** `k=v,k=v` form of a label map, for list calls. */
export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Label selector of every pod the operator manages, across jobs (for the pod informer). */
export const MANAGED_PODS_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY},app.kubernetes.io/component=worker`;
