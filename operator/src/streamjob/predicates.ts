/**
 * Event predicates of the StreamJob controller's watches: which informer events enqueue a job
 * and which job they enqueue (docs/operator.md "Architecture"). Pure functions of the old and
 * new object; the informers' handlers in manager.ts call them.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { ANN_CHECKPOINT_ACK, ANN_CHECKPOINT_FINAL, ANN_CHECKPOINT_REQUEST } from '@sluice/api/protocol.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { LABEL_JOB } from './names.ts';

/**
 * The StreamJob that controls `pod`, from its controller ownerReference or else its job label.
 * @returns `namespace/name`, or undefined for a pod of no job
 */
export function owningJobKey(pod: V1Pod): string | undefined {
  const ns = pod.metadata?.namespace;
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'StreamJob');
  const name = owner?.name ?? pod.metadata?.labels?.[LABEL_JOB];
  return ns && name ? `${ns}/${name}` : undefined;
}

/**
 * Whether a StreamJob update can matter to the reconciler: a resync (the same object), a new
 * generation (spec), changed annotations (requests), or the start of deletion — not a write of
 * status only, nor of the checkpoint protocol's request and final annotations (the operator's
 * own writes, docs/checkpointing.md "Protocol (operator ↔ workers)").
 */
export function jobChangeMatters(oldJob: StreamJob, newJob: StreamJob): boolean {
  if (oldJob === newJob) return true; // resync
  const a = oldJob.metadata ?? {};
  const b = newJob.metadata ?? {};
  return (
    a.generation !== b.generation ||
    JSON.stringify(userAnnotations(a.annotations)) !== JSON.stringify(userAnnotations(b.annotations)) ||
    (b.deletionTimestamp !== undefined && a.deletionTimestamp === undefined)
  );
}

/** `annotations` without the ones only the checkpoint coordinator writes. */
function userAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  const { [ANN_CHECKPOINT_REQUEST]: _request, [ANN_CHECKPOINT_FINAL]: _final, ...rest } = annotations ?? {};
  return rest;
}

/**
 * What a worker pod update changed that can matter to the reconciler:
 * - `state`: a resync, its status, or whether it is being deleted;
 * - `ack`: only the worker's checkpoint ack annotation (the checkpoint coordinator completes or
 *   aborts on acks; checkpoint/ack-wakeup.ts says which acks can);
 * - `none`: nothing that matters (other annotation or label changes).
 */
export function podChange(oldPod: V1Pod, newPod: V1Pod): 'state' | 'ack' | 'none' {
  if (oldPod === newPod) return 'state';
  if (
    JSON.stringify(oldPod.status ?? {}) !== JSON.stringify(newPod.status ?? {}) ||
    (newPod.metadata?.deletionTimestamp !== undefined) !== (oldPod.metadata?.deletionTimestamp !== undefined)
  ) {
    return 'state';
  }
  const ack = (p: V1Pod) => p.metadata?.annotations?.[ANN_CHECKPOINT_ACK];
  return ack(oldPod) !== ack(newPod) ? 'ack' : 'none';
}
