/**
 * Which worker checkpoint acks wake the StreamJob's reconcile. The coordinator completes a
 * snapshot when every subtask of the attempt acked its id, and aborts it on an ack with an error
 * (trigger-policy.ts `decide`); an ack that leaves other workers of the attempt still to ack can
 * do neither, so its reconcile would only decide to wait. Skipping that reconcile saves about one
 * reconcile per worker and checkpoint less one (docs/checkpointing.md "Protocol (operator ↔
 * workers)"). Nothing is lost when the skip is wrong: the snapshot's timeout deadline and the
 * resync reconcile the job anyway, and `decide` completes on acks before it times out.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { LABEL_ATTEMPT } from '../streamjob/names.ts';
import { podChange } from '../streamjob/predicates.ts';
import { ackOf } from './snapshot-status.ts';

/**
 * Whether `pod`'s new checkpoint ack can end the snapshot it acks: it carries an error, cannot be
 * read (the reconcile decides what that means), or is the last of its attempt — every other
 * worker pod of the same attempt (label `sluice.dev/attempt`) that is not being deleted acked
 * the same id.
 * @param pod the worker pod as its update event delivered it
 * @param jobPods the job's worker pods in the informer cache (any attempt; `pod` may be among
 *   them in an older version, which `pod` replaces)
 */
export function ackMayEndSnapshot(pod: V1Pod, jobPods: readonly V1Pod[]): boolean {
  const ack = ackOf(pod);
  if (ack === undefined || ack.error !== undefined) return true;
  const attempt = pod.metadata?.labels?.[LABEL_ATTEMPT];
  return jobPods.every(
    (p) =>
      p.metadata?.name === pod.metadata?.name ||
      p.metadata?.labels?.[LABEL_ATTEMPT] !== attempt ||
      p.metadata?.deletionTimestamp !== undefined ||
      ackOf(p)?.id === ack.id,
  );
}

/**
 * Whether a worker pod update enqueues its StreamJob: a change of state (streamjob/predicates.ts
 * `podChange`), or an ack that {@link ackMayEndSnapshot}.
 * @param jobPods the job's worker pods in the informer cache, read only for an ack-only change
 */
export function podUpdateWakes(oldPod: V1Pod, newPod: V1Pod, jobPods: () => readonly V1Pod[]): boolean {
  const change = podChange(oldPod, newPod);
  return change === 'state' || (change === 'ack' && ackMayEndSnapshot(newPod, jobPods()));
}
