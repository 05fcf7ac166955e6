/**
 * Which worker pod names an attempt may claim (docs/operator.md "Worker permissions"). Worker
 * pod names `<job>-<attempt>-<index>` can be the names of another workload's pods — job `zk`
 * next to a StatefulSet `zk-1` (pods `zk-1-0`, `zk-1-1`, …) — and the worker Role grants by
 * name. So before the Role or any pod of an attempt is written, the names it needs are checked
 * against the pods that exist: a name held by a pod the job does not control stops the job
 * (Degraded `PodNameConflict`), and the Role never lists it. Pure; the reconciler lists the pods.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { summarizeList } from '../kube/bounded-text.ts';
import { isControlledBy } from './workers.ts';

/**
 * The names among `names` held by a pod in `pods` that the job with `jobUid` does not control,
 * in the order of `names`.
 */
export function foreignOccupants(names: readonly string[], pods: readonly V1Pod[], jobUid: string): string[] {
  const foreign = new Set(pods.filter((p) => !isControlledBy(p, jobUid)).map((p) => p.metadata?.name ?? ''));
  return names.filter((n) => foreign.has(n));
}

/** The names among `names` that no pod controlled by `jobUid` holds yet (those need a check). */
export function unclaimedNames(
  names: readonly string[],
  jobPods: readonly V1Pod[],
  jobUid: string,
): string[] {
  const own = new Set(jobPods.filter((p) => isControlledBy(p, jobUid)).map((p) => p.metadata?.name ?? ''));
  return names.filter((n) => !own.has(n));
}

/** The Degraded message of a name collision: which pods, which job, and what to do. */
export function podNameConflictMessage(
  namespace: string,
  job: string,
  attempt: number,
  foreign: readonly string[],
): string {
  return (
    `pod name(s) ${summarizeList(foreign)} needed by attempt ${attempt} of StreamJob ${namespace}/${job} ` +
    `are taken by pods it does not control (worker pods are named <job>-<attempt>-<index>); ` +
    `no worker Role or pod is written for this attempt until those pods are deleted, ` +
    `or recreate the StreamJob under another name`
  );
}
