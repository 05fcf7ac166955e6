/**
 * Step 4 of the reconcile (docs/operator.md): the job's worker pods converge on the current
 * attempt — pods of other attempts deleted (force-deleted on lost nodes), the attempt's missing
 * pods created once none of another attempt is left (workers.ts planPods) — with an Event per
 * change.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { attemptHasRun } from '../lifecycle/failure-recovery.ts';
import { attemptParallelism, suspendHeld, upgradeHolding } from '../streamjob/upgrade-state.ts';
import { summarizeList } from '../kube/bounded-text.ts';
import type { Clock } from '../kube/clock.ts';
import type { ReconcileContext } from '../kube/controller.ts';
import { apiStatus, isAlreadyExists, isForbidden, isNotFound } from '../kube/errors.ts';
import type { EventRecorder, EventSubject } from '../kube/events.ts';
import type { ChildObjects } from '../streamjob/children.ts';
import type { ClusterCache } from '../streamjob/cluster-cache.ts';
import { desiredWorkerPod, type WorkerSettings } from '../streamjob/desired-state.ts';
import { workerIdentityName, workerPodName } from '../streamjob/names.ts';
import { excludeLostNodes, type NodeHealth, type NodeLossPolicy } from '../streamjob/node-loss.ts';
import { podNameConflictMessage } from '../streamjob/pod-name-claims.ts';
import { ProblemError } from '../streamjob/problem.ts';
import type { EffectiveStorage } from '../streamjob/storage.ts';
import { isControlledBy, observeWorkers, planPods, type WorkersObservation } from '../streamjob/workers.ts';

/** Pods created or deleted concurrently. */
const POD_WRITE_CONCURRENCY = 8;

/** What pod convergence reads and writes through (the reconciler's options). */
export interface PodConvergenceDeps {
  core: CoreV1Api;
  /** Pods are read from here, and every pod written is recorded here (cluster-cache.ts). */
  cache: ClusterCache;
  children: ChildObjects;
  events: EventRecorder;
  clock: Clock;
  worker: WorkerSettings;
  /** A checkpoint coordinator runs: a pod missing from an attempt that has run is not recreated. */
  coordinated: boolean;
  nodes?: NodeHealth;
  nodeLoss?: NodeLossPolicy;
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

/**
 * Force-deletes (grace period 0) the pods of previous attempts that sit on lost nodes: their
 * kubelet cannot confirm a deletion, so they would stay Terminating until the node returns and
 * block the next attempt (planPods waits for every old pod). A worker that still runs there is
 * fenced by its attempt number (docs/checkpointing.md "Lost nodes and fencing"). Pods of the
 * current attempt are left to failure recovery, which replaces the attempt first.
 * @returns the names deleted
 */
async function forceDeleteOnLostNodes(
  d: PodConvergenceDeps,
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
      d.cache.wrotePod(
        deleting(
          await d.core.deleteNamespacedPod({ name: w.name, namespace, gracePeriodSeconds: 0 }),
          d.clock,
        ),
      );
    } catch (err) {
      if (!isNotFound(err))
        throw podProblem('PodDeleteFailed', `force-deleting pod ${namespace}/${w.name}`, err);
    }
    done.add(w.name);
    ctx.log.warn({ pod: w.name, node: w.node }, 'force-deleted worker pod on a lost node');
  });
  const byNode = new Map<string, string[]>();
  for (const w of targets) byNode.set(w.node!, [...(byNode.get(w.node!) ?? []), w.name]);
  const now = d.clock.now();
  for (const [node, pods] of byNode) {
    d.events.record(subject, {
      type: 'Warning',
      reason: 'WorkerPodsForceDeleted',
      action: 'DeletePods',
      note: `node ${node} is lost (${d.nodes?.lost(node, now)?.reason ?? 'unreachable'}): force-deleted ${pods.sort().join(', ')}; a worker still running there is fenced by its attempt number`,
    });
  }
  return done;
}

/**
 * Deletes and creates pods per {@link planPods}; returns the observation after the changes.
 * @param pods the job's pods as listed (worker selector)
 */
export async function convergePods(
  d: PodConvergenceDeps,
  job: StreamJob,
  pods: V1Pod[],
  storage: EffectiveStorage,
  subject: EventSubject,
  ctx: ReconcileContext,
): Promise<{ workers: WorkersObservation; blockedBy?: string }> {
  const { core, events, worker } = d;
  const name = job.metadata!.name!;
  const namespace = job.metadata!.namespace!;
  const uid = job.metadata!.uid!;
  const attempt = job.status?.attempt ?? 0;
  const hash = job.status?.attemptSpecHash ?? '';
  const suspended = job.spec.state === 'suspended';
  const observe = (pods: V1Pod[]) =>
    observeWorkers(pods, uid, attempt, attemptParallelism(job), hash, (i) => workerPodName(name, attempt, i));

  let workers = observe(pods);
  // A suspend in upgradeMode=savepoint keeps the workers until their stop-with-savepoint.
  const plan = planPods(workers, (suspended && !suspendHeld(job)) || attempt === 0);
  // No pods are created for the attempt while a savepoint-mode upgrade holds it (its workers
  // may be exiting after the stop-with-savepoint), nor once it has run: a pod missing then was
  // deleted, and failure recovery replaces the whole attempt (lifecycle/failure-recovery.ts
  // attemptHasRun); recreating it would repeat committed output.
  const hasRun =
    d.coordinated &&
    attemptHasRun(
      job.status,
      workers.current.map((w) => w.state),
    );
  if (upgradeHolding(job) || hasRun) plan.create = [];

  const lostNodes = d.nodeLoss === 'off' ? [] : (d.nodes?.lostNodes(d.clock.now()) ?? []);
  const forced =
    d.nodeLoss === 'force-delete'
      ? await forceDeleteOnLostNodes(d, job, workers, lostNodes, subject, ctx)
      : new Set<string>();
  plan.delete = plan.delete.filter((d) => !forced.has(d.name));

  const deleted: string[] = [];
  await mapLimit(plan.delete, POD_WRITE_CONCURRENCY, async ({ name: pod, reason }) => {
    try {
      d.cache.wrotePod(deleting(await core.deleteNamespacedPod({ name: pod, namespace }), d.clock));
      deleted.push(pod);
      ctx.log.info({ pod, reason }, 'deleted worker pod');
    } catch (err) {
      if (!isNotFound(err)) throw podProblem('PodDeleteFailed', `deleting pod ${namespace}/${pod}`, err);
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
      d.cache.wrotePod(await core.createNamespacedPod({ namespace, body }));
      created.push(pod);
    } catch (err) {
      if (!isAlreadyExists(err)) throw podProblem('PodCreateFailed', `creating pod ${namespace}/${pod}`, err);
      const occupant = await core.readNamespacedPod({ name: pod, namespace }).catch(() => undefined);
      if (occupant && !isControlledBy(occupant, uid)) {
        // Taken since claimPodNames (attempt-children.ts) looked: never leave it granted.
        await d.children.revokePodNames(namespace, workerIdentityName(name), [pod], { uid });
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

  if (plan.create.length > 0 || plan.delete.length > 0) workers = observe(d.cache.workerPods(job));
  if (workers.foreign.length > 0) {
    throw new ProblemError('PodNameConflict', plan.blockedBy ?? `pod names of attempt ${attempt} are taken`);
  }
  return { workers, blockedBy: plan.blockedBy };
}

/**
 * A deleted pod as the delete call returned it, marked as being deleted: a pod deleted at once
 * (no kubelet owns it yet) comes back without a deletionTimestamp.
 */
function deleting(pod: V1Pod, clock: Clock): V1Pod {
  if (pod.metadata?.deletionTimestamp) return pod;
  return { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(clock.now()) } };
}

function podProblem(reason: string, what: string, err: unknown): Error {
  const s = apiStatus(err);
  // Rejections (admission, quota, RBAC, validation) need a person; anything else is retried as-is.
  if (isForbidden(err) || s.code === 422 || s.code === 400) {
    return new ProblemError(reason, `${what} was rejected: ${s.message}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(`${what} failed: ${s.message}`);
}

/** Orders pod names `<job>-<attempt>-<index>` by index. */
function byIndex(a: string, b: string): number {
  return Number(a.slice(a.lastIndexOf('-') + 1)) - Number(b.slice(b.lastIndexOf('-') + 1));
}
