/**
 * Lost nodes (docs/checkpointing.md, "Lost nodes and fencing"): pure judgements over a Node and
 * its kubelet heartbeat Lease (namespace `kube-node-lease`, same name as the node), and what a
 * lost node means for the worker pods on it.
 *
 * The kubelet renews its Lease every 10 s (a quarter of the 40 s lease duration) and the node
 * lifecycle controller marks the node NotReady/Unknown only after its grace period (40–50 s).
 * A Lease older than `leaseGraceMs` is the earlier signal; a Ready condition that is not True is
 * the later one, and the only one where Leases cannot be read.
 */
import type { V1Affinity, V1Lease, V1Node, V1NodeSelectorRequirement, V1Pod } from '@kubernetes/client-node';

/** Why a node counts as lost, and since when (ms since the epoch). */
export interface NodeLoss {
  node: string;
  /** When the loss is dated: the last heartbeat + grace, or the Ready condition's transition. */
  since: number;
  /** For messages and Events, e.g. `no kubelet heartbeat for 23s`. */
  reason: string;
}

/** Answers "is this node lost?" from what the operator has observed (kube/node-watch.ts). */
export interface NodeHealth {
  /** The loss of `nodeName` at `now` (ms), or undefined while it is healthy or unknown. */
  lost(nodeName: string, now: number): NodeLoss | undefined;
  /** Names of every node lost at `now`, sorted. */
  lostNodes(now: number): string[];
}

/** What happens to the worker pods of a lost node (`--node-loss`, docs/operator.md). */
export const NODE_LOSS_POLICIES = ['force-delete', 'detect', 'off'] as const;
export type NodeLossPolicy = (typeof NODE_LOSS_POLICIES)[number];

function ms(t: Date | string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const v = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
}

/**
 * Judges one node at `now` (ms). Lost when its Lease was last renewed more than `leaseGraceMs`
 * ago, or its Ready condition is False or Unknown. A node without a Ready condition and without
 * a Lease is unknown, not lost (a cluster where the operator cannot read them must behave as
 * before). A deleted Node is not judged here: Kubernetes' pod garbage collector removes its pods.
 * @param leaseGraceMs heartbeat age that counts as lost, ms (default 20 000: two missed renewals)
 */
export function judgeNode(
  nodeName: string,
  node: V1Node | undefined,
  lease: V1Lease | undefined,
  now: number,
  leaseGraceMs: number,
): NodeLoss | undefined {
  const renewed = ms(lease?.spec?.renewTime as Date | string | undefined);
  if (renewed !== undefined && now - renewed > leaseGraceMs) {
    return {
      node: nodeName,
      since: renewed + leaseGraceMs,
      reason: `no kubelet heartbeat for ${Math.round((now - renewed) / 1000)}s`,
    };
  }
  const ready = node?.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') {
    return {
      node: nodeName,
      since: ms(ready.lastTransitionTime as Date | string | undefined) ?? now,
      reason: `node Ready=${ready.status}${ready.reason ? ` (${ready.reason})` : ''}`,
    };
  }
  return undefined;
}

/** The node a pod runs on, or undefined while it is not scheduled. */
export function podNode(pod: V1Pod): string | undefined {
  return pod.spec?.nodeName || undefined;
}

/**
 * `affinity` with the lost nodes excluded from scheduling: a `kubernetes.io/hostname NotIn`
 * requirement added to every required node selector term (terms are ORed, so each needs it), or
 * one term holding it. The scheduler still sees a lost node as schedulable until the node
 * lifecycle controller taints it, and a pod placed there would never start.
 * @returns `affinity` itself when `lostNodes` is empty; a new object otherwise
 */
export function excludeLostNodes(
  affinity: V1Affinity | undefined,
  lostNodes: readonly string[],
): V1Affinity | undefined {
  if (lostNodes.length === 0) return affinity;
  const notIn: V1NodeSelectorRequirement = {
    key: 'kubernetes.io/hostname',
    operator: 'NotIn',
    values: [...lostNodes],
  };
  const required = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = required?.nodeSelectorTerms?.length
    ? required.nodeSelectorTerms.map((t) => ({
        ...t,
        matchExpressions: [...(t.matchExpressions ?? []), notIn],
      }))
    : [{ matchExpressions: [notIn] }];
  return {
    ...affinity,
    nodeAffinity: {
      ...affinity?.nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms },
    },
  };
}
