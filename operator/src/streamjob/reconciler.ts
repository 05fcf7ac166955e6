/**
 * The StreamJob reconciler: level-triggered, it reads the job and its pods fresh from the API
 * server on every call and converges the world to the job's spec.
 *
 *  1. Resolve storage and the worker-spec hash (desired-state.ts).
 *  2. Handle request annotations and decide whether a new attempt starts (attempt-intent.ts,
 *     pure, over requests.ts and attempt.ts); persist that intent in status *before* touching
 *     pods, with the read resourceVersion as precondition.
 *  3. Check that no foreign pod holds one of the attempt's pod names (pod-name-claims.ts), then
 *     ensure ServiceAccount, Role (confined to the attempt's pod names), RoleBinding, headless
 *     Service and the job's storage credentials, minted per job (job-credentials.ts).
 *  4. Delete pods of other attempts (or all, when suspended); create the attempt's missing pods
 *     once no pod of another attempt is left (workers.ts).
 *  5. Write the next status (status.ts) and record Events for transitions.
 *
 * A crash between any two steps is safe: every step is idempotent and derives from persisted
 * state (status.attempt, attemptSpecHash, restoredFrom) plus what exists.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator.ts';
import { attemptHasRun } from '../checkpoint/failure-recovery.ts';
import { attemptParallelism, suspendHeld, upgradeHolding } from '../checkpoint/upgrade.ts';
import type { StreamJob } from '../../../api/src/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import {
  done,
  requeueAfter,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
  type Reconciler,
} from '../kube/controller.ts';
import { apiStatus, isAlreadyExists, isForbidden, isNotFound } from '../kube/errors.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import type { ChildObjects } from './children.ts';
import type { JobCredentials } from './job-credentials.ts';
import { desiredRole, desiredRoleBinding, desiredServiceAccount } from './worker-identity.ts';
import { desiredService, desiredWorkerPod, workerSpecHash, type WorkerSettings } from './desired-state.ts';
import type { JobMetrics } from './job-metrics.ts';
import {
  selectorString,
  shuffleTokenSecretName,
  snapshotKeySecretName,
  workerIdentityName,
  workerPodName,
  workerSelector,
} from './names.ts';
import type { StreamJobSnapshot } from '../../../api/src/streamjobsnapshot.ts';
import {
  INITIAL_SAVEPOINT_REF_POLL_MS,
  needsInitialSavepointRef,
  resolveInitialSavepointRef,
  withInitialSavepoint,
} from '../snapshot/initial-savepoint-ref.ts';
import { desiredNetworkPolicy } from './network-policy.ts';
import { finalizersNeedUpdate, ON_DELETE_FINALIZER, wantedFinalizers } from './on-delete.ts';
import { finalizeDeletion, type OnDeleteHooks } from './on-delete-finalizer.ts';
import { attemptToken, desiredShuffleTokenSecret } from './shuffle-token.ts';
import { desiredSnapshotKeySecret, jobSnapshotKey } from './snapshot-key.ts';
import { foreignOccupants, podNameConflictMessage, unclaimedNames } from './pod-name-claims.ts';
import { summarizeList } from '../kube/bounded-text.ts';
import { ProblemError, problemOf } from './problem.ts';
import type { RequestKind } from './requests.ts';
import { nextStatus, statusEvents, type Problem } from './status.ts';
import { attemptIntent } from './attempt-intent.ts';
import type { StreamJobClient } from './streamjob-client.ts';
import { jobConfigProblem } from './spec-limits.ts';
import { resolveStorage, type EffectiveStorage, type StorageDefaults } from './storage.ts';
import { excludeLostNodes, type NodeHealth, type NodeLossPolicy } from './node-loss.ts';
import { isControlledBy, observeWorkers, planPods, type WorkersObservation } from './workers.ts';

/** Delay before looking again while pods of a previous attempt terminate, ms. */
const WAIT_FOR_TERMINATION_MS = 2000;
/** Pods created or deleted concurrently. */
const POD_WRITE_CONCURRENCY = 8;

/** Dependencies of {@link StreamJobReconciler}. */
export interface StreamJobReconcilerOptions {
  jobs: StreamJobClient;
  core: CoreV1Api;
  children: ChildObjects;
  events: EventRecorder;
  clock: Clock;
  storageDefaults: StorageDefaults;
  /** The jobs' storage credentials: minted per job and renewed at half-life (job-credentials.ts). */
  credentials: JobCredentials;
  worker: WorkerSettings;
  metrics?: JobMetrics;
  /**
   * Request kinds that something in the operator carries out. `restart` is carried out here;
   * `checkpoint` and `savepoint` are left pending for the checkpoint coordinator when listed,
   * and rejected otherwise. Default: restart only.
   */
  supportedRequests?: ReadonlySet<RequestKind>;
  /**
   * The checkpoint coordinator (operator/src/checkpoint/): run after the pods converged, on the
   * job as written so far; it writes its own status fields (checkpoints, savepoints, requests it
   * serves, CheckpointsHealthy) with resourceVersion preconditions. List `checkpoint` and
   * `savepoint` in supportedRequests with it.
   */
  coordinator?: CheckpointCoordinator;
  /**
   * Lost nodes (node-watch.ts) and what to do with the worker pods on them (`--node-loss`,
   * docs/checkpointing.md "Lost nodes and fencing"): with `force-delete`, pods of previous
   * attempts on a lost node are force-deleted (their kubelet never confirms a deletion); with
   * `force-delete` and `detect`, new pods are kept off lost nodes. Unset: no node is ever lost.
   */
  nodes?: NodeHealth;
  nodeLoss?: NodeLossPolicy;
  /**
   * Write the job's worker NetworkPolicy (network-policy.ts, `--worker-network-policy`);
   * false or unset: none is written (one written before is left to its owner's deletion).
   */
  workerNetworkPolicy?: boolean;
  /**
   * The onDelete finalizer's I/O (on-delete.ts); unset: no finalizer is ever added. Both throw
   * on storage or API errors (retried within the bound).
   */
  onDelete?: OnDeleteHooks;
  /** Reads StreamJobSnapshots for spec.initialSavepointRef (snapshot/initial-savepoint-ref.ts). */
  snapshots?: { get(namespace: string, name: string): Promise<StreamJobSnapshot | undefined> };
}

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects with the first error. */
async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function subjectOf(job: StreamJob): EventSubject {
  return {
    apiVersion: job.apiVersion ?? 'sluice.dev/v1alpha1',
    kind: job.kind ?? 'StreamJob',
    namespace: job.metadata?.namespace ?? '',
    name: job.metadata?.name ?? '',
    uid: job.metadata?.uid,
    resourceVersion: job.metadata?.resourceVersion,
  };
}

/** See the module comment. */
export class StreamJobReconciler implements Reconciler {
  readonly #o: StreamJobReconcilerOptions;
  readonly #supported: ReadonlySet<RequestKind>;

  constructor(options: StreamJobReconcilerOptions) {
    this.#o = options;
    this.#supported = options.supportedRequests ?? new Set<RequestKind>(['restart']);
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { jobs } = this.#o;
    let original = await jobs.get(req.namespace, req.name);
    if (!original) {
      this.#o.metrics?.forget(req.namespace, req.name);
      ctx.log.debug({}, 'StreamJob is gone; its objects are garbage-collected through their ownerReferences');
      return done();
    }
    if (original.metadata?.deletionTimestamp) {
      const held = (original.metadata.finalizers ?? []).includes(ON_DELETE_FINALIZER);
      return held && this.#o.onDelete ? this.#finalize(original, ctx) : done();
    }
    if (this.#o.onDelete && finalizersNeedUpdate(original)) {
      original = await jobs.patchMetadata(original, { finalizers: wantedFinalizers(original) });
    }
    return this.#reconcileJob(original, ctx);
  }

  /** The onDelete finalizer (on-delete-finalizer.ts), stopping the workers through #reconcileJob. */
  #finalize(job: StreamJob, ctx: ReconcileContext): Promise<ReconcileResult> {
    return finalizeDeletion(
      { ...this.#o, hooks: this.#o.onDelete!, subject: subjectOf(job) },
      job,
      ctx,
      (view) => this.#reconcileJob(view, ctx),
    );
  }

  /** Steps 1–5 of the module comment for a job that is not being deleted (or its stopping view). */
  async #reconcileJob(job0: StreamJob, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { jobs, clock } = this.#o;
    const req = { namespace: job0.metadata!.namespace!, name: job0.metadata!.name! };
    let original = job0;
    const subject = subjectOf(original);
    const now = clock.now();

    // Fixed by a spec change; nothing is written for a config the pods could not carry.
    const tooLarge = jobConfigProblem(original);
    if (tooLarge) {
      await this.#finish(original, original, subject, { problem: tooLarge }, ctx);
      return done();
    }
    // spec.initialSavepointRef: a job that has not started yet starts from the snapshot object's path.
    if (needsInitialSavepointRef(original) && this.#o.snapshots) {
      const ref = original.spec.initialSavepointRef!.name;
      const r = resolveInitialSavepointRef(original, await this.#o.snapshots.get(req.namespace, ref));
      if (!r.ok) {
        await this.#finish(
          original,
          original,
          subject,
          { problem: { reason: r.reason, message: r.message } },
          ctx,
        );
        return r.wait ? requeueAfter(INITIAL_SAVEPOINT_REF_POLL_MS) : done();
      }
      original = withInitialSavepoint(original, r.initialSavepoint);
    }
    const resolved = resolveStorage(original, this.#o.storageDefaults);
    if (!resolved.ok) {
      // Fixed by a spec change (which triggers a reconcile) or an operator restart with new config.
      await this.#finish(
        original,
        original,
        subject,
        { problem: { reason: 'StorageNotConfigured', message: resolved.message } },
        ctx,
      );
      return done();
    }
    const storage = resolved.storage;
    const specHash = workerSpecHash(original, storage, this.#o.worker);

    const intent = attemptIntent(original, {
      storage,
      specHash,
      now,
      supported: this.#supported,
      coordinated: this.#o.coordinator !== undefined,
    });
    if ('problem' in intent) {
      await this.#finish(original, original, subject, { problem: intent.problem }, ctx);
      return done();
    }
    let job = original;
    for (const h of intent.handled)
      ctx.log.info({ request: h.kind, nonce: h.nonce, result: h.result, subject: subject.name }, h.message);
    if (intent.status) {
      job = await jobs.writeStatus(job, intent.status);
      for (const e of intent.events) this.#o.events.record(subject, e);
      ctx.log.info(
        { attempt: job.status?.attempt, reason: job.status?.attemptReason },
        'recorded intent in status',
      );
    }

    let workers: WorkersObservation | undefined;
    let blockedBy: string | undefined;
    let problem: Problem | undefined;
    let coordinatorRequeueMs: number | undefined;
    let renewCredentialsMs: number | undefined;
    // Shown as Degraded but not retried: the job is Failed until its spec changes or a restart
    // is requested (checkpoint/recovery.ts), and either of those triggers a reconcile.
    let failedFor: Problem | undefined;
    try {
      const pods = await this.#listPods(job);
      if (job.spec.state !== 'suspended' && (job.status?.attempt ?? 0) > 0) {
        // Before the Role grants the attempt's pod names or any pod is created (pod-name-claims.ts).
        const podNames = attemptPodNames(job);
        await this.#claimPodNames(job, podNames, pods, ctx);
        const renewAt = await this.#ensureChildren(job, storage, podNames, ctx);
        // Minted credentials are renewed at half-life by a reconcile then (docs/security.md).
        if (renewAt !== undefined) renewCredentialsMs = Math.max(0, renewAt - clock.now());
      }
      ({ workers, blockedBy } = await this.#convergePods(job, pods, storage, subject, ctx));
      if (this.#o.coordinator && !blockedBy) {
        // Checkpoint coordinator: triggers, completes or aborts snapshots (its own status writes).
        const step = await this.#o.coordinator.step({ job, storage, subject, ctx });
        job = step.job;
        coordinatorRequeueMs = step.requeueAfterMs;
        failedFor = step.problem;
      }
    } catch (err) {
      problem = problemOf(err);
      if (!problem) throw err;
    }
    await this.#finish(original, job, subject, { workers, blockedBy, problem: problem ?? failedFor }, ctx);
    if (problem) throw new ProblemError(problem.reason, problem.message);
    if (blockedBy) return requeueAfter(WAIT_FOR_TERMINATION_MS);
    const after = [coordinatorRequeueMs, intent.requeueAfterMs, renewCredentialsMs].filter(
      (ms) => ms !== undefined,
    );
    return after.length > 0 ? requeueAfter(Math.max(100, Math.min(...after))) : done();
  }

  /**
   * Stops the attempt when a pod the job does not control holds one of its pod names: the names
   * are revoked from an existing worker Role (a foreign pod that appeared since it was written)
   * and a PodNameConflict problem is thrown before anything is granted or created. Only names no
   * pod of the job holds yet are looked up, with one list of the namespace's pods.
   * @param jobPods the job's pods (worker selector)
   */
  async #claimPodNames(
    job: StreamJob,
    podNames: string[],
    jobPods: V1Pod[],
    ctx: ReconcileContext,
  ): Promise<void> {
    const uid = job.metadata!.uid!;
    const namespace = job.metadata!.namespace!;
    const name = job.metadata!.name!;
    if (unclaimedNames(podNames, jobPods, uid).length === 0) return;
    const all = (await this.#o.core.listNamespacedPod({ namespace })).items;
    const foreign = foreignOccupants(podNames, all, uid);
    if (foreign.length === 0) return;
    if (await this.#o.children.revokePodNames(namespace, workerIdentityName(name), foreign, { uid }))
      ctx.log.warn({ pods: foreign.length }, 'revoked foreign pod names from the worker Role');
    throw new ProblemError(
      'PodNameConflict',
      podNameConflictMessage(namespace, name, job.status!.attempt!, foreign),
    );
  }

  /**
   * Ensures the ServiceAccount, Role (`podNames`), RoleBinding, Service, NetworkPolicy (when
   * enabled), shuffle token, snapshot key and storage credentials (minted or renewed:
   * job-credentials.ts) of the current attempt.
   * @returns when minted credentials are due for renewal (epoch ms), undefined for a job's own Secret
   */
  async #ensureChildren(
    job: StreamJob,
    storage: EffectiveStorage,
    podNames: string[],
    ctx: ReconcileContext,
  ): Promise<number | undefined> {
    const { children, worker } = this.#o;
    const name = job.metadata!.name!;
    const owner = { ref: `${job.metadata!.namespace}/${name}`, uid: job.metadata!.uid! };
    await children.serviceAccount(desiredServiceAccount(job), owner);
    await children.role(desiredRole(job, podNames), owner);
    await children.roleBinding(desiredRoleBinding(job), owner);
    await children.service(desiredService(job, worker), owner);
    if (this.#o.workerNetworkPolicy) await children.networkPolicy(desiredNetworkPolicy(job, worker), owner);
    // The attempt's shuffle token: kept for the attempt, new for the next (shuffle-token.ts).
    const attempt = job.status!.attempt!;
    const current = await children.readSecret(job.metadata!.namespace!, shuffleTokenSecretName(name));
    const token = attemptToken(current, attempt, owner.uid);
    await children.secret(desiredShuffleTokenSecret(job, attempt, token), owner);
    // The job's snapshot key: created once, kept across attempts (snapshot-key.ts).
    const key = await children.readSecret(job.metadata!.namespace!, snapshotKeySecretName(name));
    await children.secret(desiredSnapshotKeySecret(job, jobSnapshotKey(key, owner.uid)), owner);
    return (await this.#o.credentials.forJob(job, storage, ctx.signal)).renewAt;
  }

  async #listPods(job: StreamJob): Promise<V1Pod[]> {
    const res = await this.#o.core.listNamespacedPod({
      namespace: job.metadata!.namespace!,
      labelSelector: selectorString(workerSelector(job.metadata!.name!)),
    });
    return res.items;
  }

  /**
   * Force-deletes (grace period 0) the pods of previous attempts that sit on lost nodes: their
   * kubelet cannot confirm a deletion, so they would stay Terminating until the node returns and
   * block the next attempt (planPods waits for every old pod). A worker that still runs there is
   * fenced by its attempt number (docs/checkpointing.md "Lost nodes and fencing"). Pods of the
   * current attempt are left to failure recovery, which replaces the attempt first.
   * @returns the names deleted
   */
  async #forceDeleteOnLostNodes(
    job: StreamJob,
    workers: WorkersObservation,
    lostNodes: readonly string[],
    subject: EventSubject,
    ctx: ReconcileContext,
  ): Promise<Set<string>> {
    const lost = new Set(lostNodes);
    const targets = workers.stale.filter((w) => w.node !== undefined && lost.has(w.node));
    const namespace = job.metadata!.namespace!;
    const done = new Set<string>();
    await mapLimit(targets, POD_WRITE_CONCURRENCY, async (w) => {
      try {
        await this.#o.core.deleteNamespacedPod({ name: w.name, namespace, gracePeriodSeconds: 0 });
      } catch (err) {
        if (!isNotFound(err))
          throw this.#podProblem('PodDeleteFailed', `force-deleting pod ${namespace}/${w.name}`, err);
      }
      done.add(w.name);
      ctx.log.warn({ pod: w.name, node: w.node }, 'force-deleted worker pod on a lost node');
    });
    const byNode = new Map<string, string[]>();
    for (const w of targets) byNode.set(w.node!, [...(byNode.get(w.node!) ?? []), w.name]);
    const now = this.#o.clock.now();
    for (const [node, pods] of byNode) {
      this.#o.events.record(subject, {
        type: 'Warning',
        reason: 'WorkerPodsForceDeleted',
        action: 'DeletePods',
        note: `node ${node} is lost (${this.#o.nodes?.lost(node, now)?.reason ?? 'unreachable'}): force-deleted ${pods.sort().join(', ')}; a worker still running there is fenced by its attempt number`,
      });
    }
    return done;
  }

  /**
   * Deletes and creates pods per {@link planPods}; returns the observation after the changes.
   * @param pods the job's pods as listed (worker selector)
   */
  async #convergePods(
    job: StreamJob,
    pods: V1Pod[],
    storage: EffectiveStorage,
    subject: EventSubject,
    ctx: ReconcileContext,
  ): Promise<{ workers: WorkersObservation; blockedBy?: string }> {
    const { core, events, worker } = this.#o;
    const name = job.metadata!.name!;
    const namespace = job.metadata!.namespace!;
    const uid = job.metadata!.uid!;
    const attempt = job.status?.attempt ?? 0;
    const hash = job.status?.attemptSpecHash ?? '';
    const suspended = job.spec.state === 'suspended';
    const observe = (pods: V1Pod[]) =>
      observeWorkers(pods, uid, attempt, attemptParallelism(job), hash, (i) =>
        workerPodName(name, attempt, i),
      );

    let workers = observe(pods);
    // A suspend in upgradeMode=savepoint keeps the workers until their stop-with-savepoint.
    const plan = planPods(workers, (suspended && !suspendHeld(job)) || attempt === 0);
    // No pods are created for the attempt while a savepoint-mode upgrade holds it (its workers
    // may be exiting after the stop-with-savepoint), nor once it has run: a pod missing then was
    // deleted, and failure recovery replaces the whole attempt (checkpoint/failure-recovery.ts
    // attemptHasRun); recreating it would repeat committed output.
    const hasRun =
      this.#o.coordinator !== undefined &&
      attemptHasRun(
        job.status,
        workers.current.map((w) => w.state),
      );
    if (upgradeHolding(job) || hasRun) plan.create = [];

    const lostNodes = this.#o.nodeLoss === 'off' ? [] : (this.#o.nodes?.lostNodes(this.#o.clock.now()) ?? []);
    const forced =
      this.#o.nodeLoss === 'force-delete'
        ? await this.#forceDeleteOnLostNodes(job, workers, lostNodes, subject, ctx)
        : new Set<string>();
    plan.delete = plan.delete.filter((d) => !forced.has(d.name));

    const deleted: string[] = [];
    await mapLimit(plan.delete, POD_WRITE_CONCURRENCY, async ({ name: pod, reason }) => {
      try {
        await core.deleteNamespacedPod({ name: pod, namespace });
        deleted.push(pod);
        ctx.log.info({ pod, reason }, 'deleted worker pod');
      } catch (err) {
        if (!isNotFound(err))
          throw this.#podProblem('PodDeleteFailed', `deleting pod ${namespace}/${pod}`, err);
      }
    });
    if (deleted.length > 0) {
      const why = [...new Set(plan.delete.map((d) => d.reason))].join('; ');
      events.record(subject, {
        type: 'Normal',
        reason: 'WorkersDeleted',
        action: 'DeletePods',
        note: `deleted ${deleted.length} pod(s): ${summarizeList(deleted.sort(byIndex), 8)} (${why})`,
      });
    }

    const created: string[] = [];
    const actx = { job, storage, worker, attempt, restoreFrom: job.status?.restoredFrom?.path };
    await mapLimit(plan.create, POD_WRITE_CONCURRENCY, async (index) => {
      const body = desiredWorkerPod(actx, index, hash);
      body.spec!.affinity = excludeLostNodes(body.spec!.affinity, lostNodes);
      const pod = body.metadata!.name!;
      try {
        await core.createNamespacedPod({ namespace, body });
        created.push(pod);
      } catch (err) {
        if (!isAlreadyExists(err))
          throw this.#podProblem('PodCreateFailed', `creating pod ${namespace}/${pod}`, err);
        const occupant = await core.readNamespacedPod({ name: pod, namespace }).catch(() => undefined);
        if (occupant && !isControlledBy(occupant, uid)) {
          // Taken since #claimPodNames looked: never leave it granted.
          await this.#o.children.revokePodNames(namespace, workerIdentityName(name), [pod], { uid });
          throw new ProblemError('PodNameConflict', podNameConflictMessage(namespace, name, attempt, [pod]));
        }
      }
    });
    if (created.length > 0) {
      events.record(subject, {
        type: 'Normal',
        reason: 'WorkersCreated',
        action: 'CreatePods',
        note: `created ${created.length} worker pod(s) of attempt ${attempt}: ${summarizeList(created.sort(byIndex), 8)}`,
      });
      ctx.log.info({ attempt, pods: created.length }, 'created worker pods');
    }

    if (plan.create.length > 0 || plan.delete.length > 0) workers = observe(await this.#listPods(job));
    if (workers.foreign.length > 0) {
      throw new ProblemError(
        'PodNameConflict',
        plan.blockedBy ?? `pod names of attempt ${attempt} are taken`,
      );
    }
    return { workers, blockedBy: plan.blockedBy };
  }

  #podProblem(reason: string, what: string, err: unknown): Error {
    const s = apiStatus(err);
    // Rejections (admission, quota, RBAC, validation) need a person; anything else is retried as-is.
    if (isForbidden(err) || s.code === 422 || s.code === 400) {
      return new ProblemError(reason, `${what} was rejected: ${s.message}`, { cause: err });
    }
    return err instanceof Error ? err : new Error(`${what} failed: ${s.message}`);
  }

  /** Writes the next status (if it changed) and records the Events of the transition. */
  async #finish(
    original: StreamJob,
    job: StreamJob,
    subject: EventSubject,
    observed: { workers?: WorkersObservation; blockedBy?: string; problem?: Problem },
    ctx: ReconcileContext,
  ): Promise<void> {
    const next = nextStatus({ job, nowMs: this.#o.clock.now(), ...observed });
    const written = await this.#o.jobs.writeStatus(job, next);
    for (const e of statusEvents(original.status, next)) this.#o.events.record(subject, e);
    this.#o.metrics?.observe(written);
    if (next.phase !== original.status?.phase) {
      ctx.log.info(
        {
          from: original.status?.phase,
          to: next.phase,
          ready: next.workers?.ready,
          total: next.workers?.total,
        },
        'phase changed',
      );
    }
  }
}

/**
 * The pod names of the current attempt the worker Role grants: `spec.parallelism` of them, or
 * the running attempt's parallelism while a savepoint-mode upgrade holds it (upgrade.ts).
 */
function attemptPodNames(job: StreamJob): string[] {
  const name = job.metadata!.name!;
  const attempt = job.status!.attempt!;
  const count = Math.max(job.spec.parallelism, attemptParallelism(job));
  return Array.from({ length: count }, (_, i) => workerPodName(name, attempt, i));
}

/** Orders pod names `<job>-<attempt>-<index>` by index. */
function byIndex(a: string, b: string): number {
  return Number(a.slice(a.lastIndexOf('-') + 1)) - Number(b.slice(b.lastIndexOf('-') + 1));
}
