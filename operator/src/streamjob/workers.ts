/**
 * What the worker pods of a job look like, and what to do about them — pure functions over pod
 * objects as listed from the API server (so unit tests build pods by hand and the integration
 * tests' kubelet stand-in drives the same code through real pod status).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANN_SPEC_HASH, LABEL_ATTEMPT, LABEL_SUBTASK } from './names.ts';

/**
 * State of one worker pod:
 * - `ready`: Running with condition Ready=True;
 * - `starting`: created, scheduled or running but not ready yet;
 * - `stuck`: cannot start without help (image pull failure, missing Secret, crash loop...);
 *   not terminal, the kubelet keeps trying;
 * - `failed`: phase Failed (the container exited non-zero or the pod was evicted);
 * - `succeeded`: phase Succeeded (the worker exited 0, e.g. after stop-with-savepoint);
 * - `terminating`: being deleted.
 */
export type WorkerState = 'ready' | 'starting' | 'stuck' | 'failed' | 'succeeded' | 'terminating';

/** Container waiting reasons that mean the pod will not start by itself. */
export const STUCK_WAITING_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** One observed worker pod. */
export interface ObservedWorker {
  name: string;
  attempt: number | undefined;
  index: number | undefined;
  specHash: string | undefined;
  /** The node the pod is bound to (spec.nodeName); undefined while unscheduled. */
  node?: string;
  state: WorkerState;
  /** CamelCase cause for stuck/failed workers, e.g. ImagePullBackOff, Error, Evicted. */
  reason?: string;
  /** Details for stuck/failed workers (kubelet message, exit code). */
  message?: string;
}

function intLabel(pod: V1Pod, key: string): number | undefined {
  const v = pod.metadata?.labels?.[key];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Classifies one pod; see {@link WorkerState}. */
export function observeWorker(pod: V1Pod): ObservedWorker {
  const base = {
    name: pod.metadata?.name ?? '',
    attempt: intLabel(pod, LABEL_ATTEMPT),
    index: intLabel(pod, LABEL_SUBTASK),
    specHash: pod.metadata?.annotations?.[ANN_SPEC_HASH],
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
  };
  if (pod.metadata?.deletionTimestamp) return { ...base, state: 'terminating' };
  const status = pod.status ?? {};
  const containers = status.containerStatuses ?? [];
  if (status.phase === 'Failed') {
    const term = containers.map((c) => c.state?.terminated).find((t) => t !== undefined);
    const reason = status.reason ?? term?.reason ?? 'Failed';
    const detail = term
      ? `exit code ${term.exitCode}${term.message ? `: ${term.message}` : ''}`
      : (status.message ?? 'pod failed');
    return { ...base, state: 'failed', reason, message: detail };
  }
  if (status.phase === 'Succeeded') return { ...base, state: 'succeeded', reason: 'Completed' };
  for (const c of containers) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && STUCK_WAITING_REASONS.has(waiting.reason)) {
      return { ...base, state: 'stuck', reason: waiting.reason, message: waiting.message ?? waiting.reason };
    }
  }
  const ready = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  if (status.phase === 'Running' && ready) return { ...base, state: 'ready' };
  return { ...base, state: 'starting' };
}

/** Whether `pod` has a controller ownerReference to the object with `uid`. */
export function isControlledBy(
  pod: { metadata?: { ownerReferences?: Array<{ uid: string; controller?: boolean }> } },
  uid: string,
): boolean {
  return pod.metadata?.ownerReferences?.some((r) => r.controller === true && r.uid === uid) ?? false;
}

/** The workers of a job relative to its current attempt. */
export interface WorkersObservation {
  /** Workers of the current attempt with the current spec hash, by index. */
  current: ObservedWorker[];
  /** Subtask indices of the current attempt without a pod. */
  missing: number[];
  /** Pods of the job that must go: other attempts, another spec hash, or index ≥ parallelism. */
  stale: ObservedWorker[];
  /** Pods (any state) whose names the current attempt needs but which are not controlled by this job. */
  foreign: Array<{ index: number; name: string }>;
  /** Number of current workers in state ready. */
  ready: number;
}

/**
 * Sorts a job's pods (listed by its worker selector) into current, stale and foreign, relative to
 * attempt `attempt` with `parallelism` subtasks and pods built from `specHash`.
 * @param podNameOf the pod name of subtask i in the current attempt
 */
export function observeWorkers(
  pods: V1Pod[],
  jobUid: string,
  attempt: number,
  parallelism: number,
  specHash: string,
  podNameOf: (index: number) => string,
): WorkersObservation {
  const current: ObservedWorker[] = [];
  const stale: ObservedWorker[] = [];
  const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  for (const pod of pods) {
    if (!isControlledBy(pod, jobUid)) continue;
    const w = observeWorker(pod);
    const isCurrent =
      w.attempt === attempt &&
      w.index !== undefined &&
      w.index < parallelism &&
      w.specHash === specHash &&
      w.name === podNameOf(w.index);
    (isCurrent ? current : stale).push(w);
  }
  current.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  const present = new Set(current.map((w) => w.index));
  const missing: number[] = [];
  const foreign: Array<{ index: number; name: string }> = [];
  for (let i = 0; i < parallelism; i++) {
    if (present.has(i)) continue;
    missing.push(i);
    const occupant = byName.get(podNameOf(i));
    if (occupant && !isControlledBy(occupant, jobUid)) foreign.push({ index: i, name: podNameOf(i) });
  }
  return { current, missing, stale, foreign, ready: current.filter((w) => w.state === 'ready').length };
}

/** Pod actions of one reconcile. */
export interface PodPlan {
  /** Pods to delete, with the reason for the Event/log. */
  delete: Array<{ name: string; reason: string }>;
  /** Subtask indices whose pods to create now. */
  create: number[];
  /**
   * Why creation waits (previous pods still terminating, names taken by foreign pods), or
   * undefined when nothing blocks it.
   */
  blockedBy?: string;
}

/**
 * What to do with the pods. Suspended: delete every pod of the job. Running: delete stale pods;
 * create the missing pods of the current attempt only once no pod of another attempt is left
 * (two attempts must never run side by side: both would write the same sinks) and no foreign
 * pod holds a needed name.
 */
export function planPods(obs: WorkersObservation, suspended: boolean): PodPlan {
  const alive = (w: ObservedWorker) => w.state !== 'terminating';
  if (suspended) {
    const all = [...obs.current, ...obs.stale];
    return {
      delete: all.filter(alive).map((w) => ({ name: w.name, reason: 'job suspended' })),
      create: [],
    };
  }
  const del = obs.stale.filter(alive).map((w) => ({
    name: w.name,
    reason: `belongs to ${w.attempt === undefined ? 'no attempt' : `attempt ${w.attempt}`}, not the current one`,
  }));
  if (obs.stale.length > 0) {
    return {
      delete: del,
      create: [],
      blockedBy: `waiting for ${obs.stale.length} pod(s) of a previous attempt to terminate`,
    };
  }
  if (obs.foreign.length > 0) {
    const taken = new Set(obs.foreign.map((f) => f.index));
    return {
      delete: del,
      create: obs.missing.filter((i) => !taken.has(i)),
      blockedBy: `pod name(s) ${obs.foreign.map((f) => f.name).join(', ')} are taken by pods this job does not control; delete them`,
    };
  }
  return { delete: del, create: obs.missing };
}
