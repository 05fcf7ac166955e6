/**
 * Step 3 of the reconcile (docs/operator.md): before any pod of the attempt exists, check that no
 * foreign pod holds one of its names (pod-name-claims.ts), then ensure the attempt's
 * ServiceAccount, Role, RoleBinding, Service, NetworkPolicy, shuffle token, snapshot key and
 * storage credentials.
 */
import { createHash } from 'node:crypto';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { attemptParallelism } from '../streamjob/upgrade-state.ts';
import type { ReconcileContext } from '../kube/controller.ts';
import { ifExists } from '../kube/errors.ts';
import type { ChildObjects, EnsureOptions } from '../streamjob/children.ts';
import { ensureDerivedSecret } from '../streamjob/derived-secret.ts';
import { canonicalJson, desiredService, type WorkerSettings } from '../streamjob/desired-state.ts';
import type { EnsuredChildren } from '../streamjob/ensured-children.ts';
import type { JobCredentials, JobStorageCredentials } from '../streamjob/job-credentials.ts';
import type { SnapshotKeys } from '../streamjob/snapshot-keys.ts';
import {
  shuffleTokenSecretName,
  snapshotKeySecretName,
  workerIdentityName,
  workerPodName,
} from '../streamjob/names.ts';
import { desiredNetworkPolicy } from '../streamjob/network-policy.ts';
import { foreignOccupants, podNameConflictMessage, unclaimedNames } from '../streamjob/pod-name-claims.ts';
import { ProblemError } from '../streamjob/problem.ts';
import { attemptToken, desiredShuffleTokenSecret } from '../streamjob/shuffle-token.ts';
import { desiredSnapshotKeySecret, jobSnapshotKey } from '../streamjob/snapshot-key.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';
import { desiredRole, desiredRoleBinding, desiredServiceAccount } from '../streamjob/worker-identity.ts';

/** What the attempt's children are read and written through (the reconciler's options). */
export interface AttemptChildrenDeps {
  core: CoreV1Api;
  children: ChildObjects;
  worker: WorkerSettings;
  credentials: JobCredentials;
  /** Write the job's worker NetworkPolicy (network-policy.ts). */
  workerNetworkPolicy?: boolean;
  /** The jobs whose children were ensured lately, and for what (ensured-children.ts). */
  ensured: EnsuredChildren;
  /** Told the snapshot key the ensure read or wrote (snapshot-keys.ts). */
  snapshotKeys?: SnapshotKeys;
}

/** Pod name lookups of {@link claimPodNames} in flight, at most. */
const LOOKUPS_IN_FLIGHT = 16;

/** Pod `namespace/name`, or undefined when there is none. */
function podIfExists(core: CoreV1Api, namespace: string, name: string): Promise<V1Pod | undefined> {
  return ifExists(() => core.readNamespacedPod({ name, namespace }));
}

/**
 * Stops the attempt when a pod the job does not control holds one of its pod names: the names
 * are revoked from an existing worker Role (a foreign pod that appeared since it was written)
 * and a PodNameConflict problem is thrown before anything is granted or created. Only names no
 * pod of the job holds yet are looked up, one GET each.
 * @param jobPods the job's pods (worker selector)
 */
export async function claimPodNames(
  d: AttemptChildrenDeps,
  job: StreamJob,
  podNames: string[],
  jobPods: V1Pod[],
  ctx: ReconcileContext,
): Promise<void> {
  const uid = job.metadata!.uid!;
  const namespace = job.metadata!.namespace!;
  const name = job.metadata!.name!;
  const unclaimed = unclaimedNames(podNames, jobPods, uid);
  if (unclaimed.length === 0) return;
  // One GET per unclaimed name, not a list of the namespace: a list per new job costs the
  // operator memory and time in proportion to every pod of the namespace (docs/benchmarks.md,
  // "what the profile showed"); the GETs are at most the pods the attempt creates anyway.
  const held: (V1Pod | undefined)[] = [];
  for (let i = 0; i < unclaimed.length; i += LOOKUPS_IN_FLIGHT) {
    const batch = unclaimed.slice(i, i + LOOKUPS_IN_FLIGHT);
    held.push(...(await Promise.all(batch.map((pod) => podIfExists(d.core, namespace, pod)))));
  }
  const foreign = foreignOccupants(
    podNames,
    held.filter((p) => p !== undefined),
    uid,
  );
  if (foreign.length === 0) return;
  d.ensured.forget(`${namespace}/${name}`);
  if (await d.children.revokePodNames(namespace, workerIdentityName(name), foreign, { uid }))
    ctx.log.warn({ pods: foreign.length }, 'revoked foreign pod names from the worker Role');
  throw new ProblemError(
    'PodNameConflict',
    podNameConflictMessage(namespace, name, job.status!.attempt!, foreign),
  );
}

/** The attempt's objects as they should be (desired-state.ts, worker-identity.ts, network-policy.ts). */
interface AttemptObjects {
  serviceAccount: ReturnType<typeof desiredServiceAccount>;
  role: ReturnType<typeof desiredRole>;
  roleBinding: ReturnType<typeof desiredRoleBinding>;
  service: ReturnType<typeof desiredService>;
  networkPolicy: ReturnType<typeof desiredNetworkPolicy> | undefined;
}

/**
 * Ensures the ServiceAccount, Role (`podNames`), RoleBinding, Service, NetworkPolicy (when
 * enabled), shuffle token, snapshot key and storage credentials (minted or renewed:
 * job-credentials.ts) of the current attempt — unless they were ensured for the same desired
 * state lately (ensured-children.ts).
 * @param newJob this reconcile started the job's first attempt: the ServiceAccount, Role,
 *   RoleBinding, Service and NetworkPolicy are created without a read first (children.ts
 *   `createFirst`; read and compared when they exist after all)
 * @returns the job's storage credentials, with `renewAt` (epoch ms) when they are minted ones
 */
export async function ensureChildren(
  d: AttemptChildrenDeps,
  job: StreamJob,
  storage: EffectiveStorage,
  podNames: string[],
  ctx: ReconcileContext,
  newJob = false,
): Promise<JobStorageCredentials> {
  const { worker } = d;
  const owner = { ref: `${job.metadata!.namespace}/${job.metadata!.name!}`, uid: job.metadata!.uid! };
  const attempt = job.status!.attempt!;
  const desired: AttemptObjects = {
    serviceAccount: desiredServiceAccount(job),
    role: desiredRole(job, podNames),
    roleBinding: desiredRoleBinding(job),
    service: desiredService(job, worker),
    networkPolicy: d.workerNetworkPolicy ? desiredNetworkPolicy(job, worker) : undefined,
  };
  const fingerprint = createHash('sha256').update(canonicalJson({ desired, attempt, storage })).digest('hex');
  // The objects and the credentials do not depend on each other: both are in flight at once.
  const [, credentials] = await allSettled([
    d.ensured.fresh(owner.ref, fingerprint)
      ? undefined
      : ensureAttemptObjects(d, job, attempt, desired, owner, { createFirst: newJob }).then(() =>
          d.ensured.record(owner.ref, fingerprint),
        ),
    d.credentials.forJob(job, storage, ctx.signal),
  ] as const);
  return credentials;
}

/**
 * Like `Promise.all`, but settles only once every promise has: a reconcile that fails on one
 * write returns after its other writes ended, so the next reconcile does not race them.
 * @throws the first rejection, in argument order
 */
async function allSettled<T extends readonly unknown[]>(
  values: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(values);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** Creates or repairs each of the attempt's objects and Secrets, concurrently. */
async function ensureAttemptObjects(
  { children, snapshotKeys }: Pick<AttemptChildrenDeps, 'children' | 'snapshotKeys'>,
  job: StreamJob,
  attempt: number,
  desired: AttemptObjects,
  owner: { ref: string; uid: string },
  options: EnsureOptions,
): Promise<void> {
  const name = job.metadata!.name!;
  const namespace = job.metadata!.namespace!;
  // Each Secret is read at most once: what is read decides the value and is what the ensure
  // compares. A new job's are created without a read (derived-secret.ts).
  const shuffleToken = () =>
    // The attempt's shuffle token: kept for the attempt, new for the next (shuffle-token.ts).
    ensureDerivedSecret(
      children,
      namespace,
      shuffleTokenSecretName(name),
      (current) => desiredShuffleTokenSecret(job, attempt, attemptToken(current, attempt, owner.uid)),
      owner,
      options,
    );
  const snapshotKey = async () => {
    // The job's snapshot key: created once, kept across attempts (snapshot-key.ts).
    const { outcome, body, stored } = await ensureDerivedSecret(
      children,
      namespace,
      snapshotKeySecretName(name),
      (key) => desiredSnapshotKeySecret(job, jobSnapshotKey(key, owner.uid)),
      owner,
      options,
    );
    // Stored as desired, unless a create lost to one made meanwhile (then its key is unknown here).
    if (outcome !== 'unchanged' || stored !== undefined) snapshotKeys?.record(job, body);
  };
  // In flight at once, but the Role before its RoleBinding: the API server refuses (404) a
  // RoleBinding whose Role does not exist yet from a creator without the `bind` verb, and the
  // operator's Role has none (operator/config/rbac/role.yaml). The pods that need them all are
  // created after.
  await allSettled([
    children.serviceAccount(desired.serviceAccount, owner, options),
    children
      .role(desired.role, owner, options)
      .then(() => children.roleBinding(desired.roleBinding, owner, options)),
    children.service(desired.service, owner, options),
    desired.networkPolicy ? children.networkPolicy(desired.networkPolicy, owner, options) : undefined,
    shuffleToken(),
    snapshotKey(),
  ]);
}

/**
 * The pod names of the current attempt the worker Role grants: `spec.parallelism` of them, or
 * the running attempt's parallelism while a savepoint-mode upgrade holds it (upgrade.ts).
 */
export function attemptPodNames(job: StreamJob): string[] {
  const name = job.metadata!.name!;
  const attempt = job.status!.attempt!;
  const count = Math.max(job.spec.parallelism, attemptParallelism(job));
  return Array.from({ length: count }, (_, i) => workerPodName(name, attempt, i));
}
