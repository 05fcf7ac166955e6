/**
 * The StreamJob reconciler: level-triggered, it observes the job and its pods in the informer
 * caches (cluster-cache.ts, which also sees the operator's own writes) and converges the world to
 * the job's spec.
 *
 *  1. Resolve storage and the worker-spec hash (desired-state.ts).
 *  2. Handle request annotations and decide whether a new attempt starts (attempt-intent.ts,
 *     pure, over requests.ts and attempt.ts); persist that intent in status *before* touching
 *     pods, with the read resourceVersion as precondition.
 *  3. Check that no foreign pod holds one of the attempt's pod names (pod-name-claims.ts), then
 *     ensure ServiceAccount, Role (confined to the attempt's pod names), RoleBinding, headless
 *     Service and the job's storage credentials, minted per job (attempt-children.ts).
 *  4. Delete pods of other attempts (or all, when suspended); create the attempt's missing pods
 *     once no pod of another attempt is left (pod-convergence.ts, workers.ts); then the
 *     running attempt's step (lifecycle/attempt-supervisor.ts: failure recovery, then the
 *     checkpoint coordinator).
 *  5. Write the next status (status.ts) and record Events for transitions.
 *
 * A crash between any two steps is safe: every step is idempotent and derives from persisted
 * state (status.attempt, attemptSpecHash, restoredFrom) plus what exists.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { AttemptSupervisor } from '../lifecycle/attempt-supervisor.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import {
  done,
  requeueAfter,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
  type Reconciler,
} from '../kube/controller.ts';
import type { EventRecorder, EventSpec, EventSubject } from '../kube/events.ts';
import { settleVerification } from '../lifecycle/rollback.ts';
import type { ChildObjects } from '../streamjob/children.ts';
import type { JobCredentials, JobStorageCredentials } from '../streamjob/job-credentials.ts';
import { workerSpecHash, type WorkerSettings } from '../streamjob/desired-state.ts';
import type { JobMetrics } from '../streamjob/job-metrics.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import {
  INITIAL_SAVEPOINT_REF_POLL_MS,
  needsInitialSavepointRef,
  resolveInitialSavepointRef,
  withInitialSavepoint,
} from '../snapshot/initial-savepoint-ref.ts';
import { finalizersNeedUpdate, ON_DELETE_FINALIZER, wantedFinalizers } from '../streamjob/on-delete.ts';
import { finalizeDeletion, type OnDeleteHooks } from '../streamjob/on-delete-finalizer.ts';
import { ProblemError, problemOf } from '../streamjob/problem.ts';
import type { RequestKind } from '../streamjob/requests.ts';
import { nextStatus, statusEvents, type Problem } from '../streamjob/status.ts';
import { attemptIntent } from '../lifecycle/attempt-intent.ts';
import type { StreamJobClient } from '../streamjob/streamjob-client.ts';
import { jobConfigProblem } from '../streamjob/spec-limits.ts';
import { resolveStorage, type StorageDefaults } from '../streamjob/storage.ts';
import { type NodeHealth, type NodeLossPolicy } from '../streamjob/node-loss.ts';
import type { WorkersObservation } from '../streamjob/workers.ts';
import { attemptPodNames, claimPodNames, ensureChildren } from './attempt-children.ts';
import { convergePods, type PodConvergenceDeps } from './pod-convergence.ts';
import type { ClusterCache } from '../streamjob/cluster-cache.ts';
import { EnsuredChildren } from '../streamjob/ensured-children.ts';
import type { SnapshotKeys } from '../streamjob/snapshot-keys.ts';

/** Delay before looking again while pods of a previous attempt terminate, ms. */
const WAIT_FOR_TERMINATION_MS = 2000;

/** Dependencies of {@link StreamJobReconciler}. */
export interface StreamJobReconcilerOptions {
  /** Writes StreamJobs; its writes must reach `cache` (StreamJobClient's onWrite). */
  jobs: StreamJobClient;
  /** Where the job and its worker pods are read (the manager's informers). */
  cache: ClusterCache;
  /**
   * The operator's resync period, ms: a job's children are read again at least this often
   * (ensured-children.ts).
   */
  resyncPeriodMs: number;
  core: CoreV1Api;
  children: ChildObjects;
  events: EventRecorder;
  clock: Clock;
  storageDefaults: StorageDefaults;
  /** The jobs' storage credentials: minted per job and renewed at half-life (job-credentials.ts). */
  credentials: JobCredentials;
  /** The jobs' snapshot keys the coordinator uses; the ensure records what it read or wrote. */
  snapshotKeys?: SnapshotKeys;
  worker: WorkerSettings;
  metrics?: JobMetrics;
  /**
   * Request kinds that something in the operator carries out. `restart` is carried out here;
   * `checkpoint` and `savepoint` are left pending for the checkpoint coordinator when listed,
   * and rejected otherwise. Default: restart only.
   */
  supportedRequests?: ReadonlySet<RequestKind>;
  /**
   * The running attempt's supervisor (lifecycle/attempt-supervisor.ts: failure recovery and the
   * checkpoint coordinator): run after the pods converged, on the job as written so far; it
   * writes its own status fields (a new attempt, checkpoints, savepoints, requests it serves,
   * CheckpointsHealthy) with resourceVersion preconditions. List `checkpoint` and `savepoint` in
   * supportedRequests with it.
   */
  supervisor?: AttemptSupervisor;
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
  readonly #pods: PodConvergenceDeps;
  readonly #ensured: EnsuredChildren;

  constructor(options: StreamJobReconcilerOptions) {
    this.#o = options;
    this.#ensured = new EnsuredChildren(options.clock, options.resyncPeriodMs);
    this.#pods = { ...options, coordinated: options.supervisor !== undefined };
    this.#supported = options.supportedRequests ?? new Set<RequestKind>(['restart']);
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { jobs } = this.#o;
    let original = this.#o.cache.job(req.namespace, req.name);
    if (!original) {
      this.#o.metrics?.forget(req.namespace, req.name);
      this.#ensured.forget(`${req.namespace}/${req.name}`);
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
      coordinated: this.#o.supervisor !== undefined,
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
    let supervisorRequeueMs: number | undefined;
    let renewCredentialsMs: number | undefined;
    // The job's storage credentials as this reconcile read them, for the coordinator's S3 calls.
    let credentials: JobStorageCredentials | undefined;
    // Shown as Degraded but not retried: the job is Failed until its spec changes or a restart
    // is requested (lifecycle/recovery.ts), and either of those triggers a reconcile.
    let failedFor: Problem | undefined;
    try {
      const pods = this.#o.cache.workerPods(job);
      if (job.spec.state !== 'suspended' && (job.status?.attempt ?? 0) > 0) {
        // Before the Role grants the attempt's pod names or any pod is created (pod-name-claims.ts).
        const podNames = attemptPodNames(job);
        const deps = { ...this.#o, ensured: this.#ensured };
        await claimPodNames(deps, job, podNames, pods, ctx);
        // A job whose first attempt this reconcile started has no children yet.
        const newJob = !original.status?.attempt && intent.status !== undefined;
        credentials = await ensureChildren(deps, job, storage, podNames, ctx, newJob);
        const renewAt = credentials.renewAt;
        // Minted credentials are renewed at half-life by a reconcile then (docs/security.md).
        if (renewAt !== undefined) renewCredentialsMs = Math.max(0, renewAt - clock.now());
      }
      ({ workers, blockedBy } = await convergePods(this.#pods, job, pods, storage, subject, ctx));
      if (this.#o.supervisor && !blockedBy) {
        // Failure recovery, then snapshot coordination (their own status writes).
        const step = await this.#o.supervisor.step({ job, storage, subject, ctx, credentials });
        job = step.job;
        supervisorRequeueMs = step.requeueAfterMs;
        failedFor = step.problem;
      }
    } catch (err) {
      problem = problemOf(err);
      if (!problem) throw err;
    }
    await this.#finish(
      original,
      job,
      subject,
      { workers, blockedBy, problem: problem ?? failedFor, ...(this.#o.supervisor ? { specHash } : {}) },
      ctx,
    );
    if (problem) throw new ProblemError(problem.reason, problem.message);
    if (blockedBy) return requeueAfter(WAIT_FOR_TERMINATION_MS);
    const after = [supervisorRequeueMs, intent.requeueAfterMs, renewCredentialsMs].filter(
      (ms) => ms !== undefined,
    );
    return after.length > 0 ? requeueAfter(Math.max(100, Math.min(...after))) : done();
  }

  /**
   * Writes the next status (if it changed) and records the Events of the transition. With
   * `specHash` (a coordinated job), an upgrade's verification that this write makes Running ends
   * in the same write (lifecycle/rollback.ts settleVerification).
   */
  async #finish(
    original: StreamJob,
    job: StreamJob,
    subject: EventSubject,
    observed: { workers?: WorkersObservation; blockedBy?: string; problem?: Problem; specHash?: string },
    ctx: ReconcileContext,
  ): Promise<void> {
    const nowMs = this.#o.clock.now();
    const { specHash, ...seen } = observed;
    let next = nextStatus({ job, nowMs, ...seen });
    let settled: EventSpec | undefined;
    if (specHash !== undefined)
      ({ status: next, event: settled } = settleVerification(job, next, specHash, nowMs));
    const written = await this.#o.jobs.writeStatus(job, next);
    for (const e of statusEvents(original.status, next)) this.#o.events.record(subject, e);
    if (settled) this.#o.events.record(subject, settled);
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
