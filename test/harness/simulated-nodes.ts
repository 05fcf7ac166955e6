/**
 * Nodes for the process kubelet (process-kubelet.ts): real Node objects and kubelet heartbeat
 * Leases (`kube-node-lease`) on the test API server, renewed by this process the way kubelets
 * renew them, plus a tiny scheduler that binds pods to them. A test "loses" a node by stopping
 * its heartbeat; the process kubelet then stops acting for that node's pods (and freezes their
 * processes), as a partitioned or dead node would.
 *
 * Node names carry a per-file prefix: Nodes are cluster-scoped and test files share the server.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';

const LEASE_NAMESPACE = 'kube-node-lease';

/** A MicroTime (RFC 3339 with microseconds), as Lease times must be written. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** See the module comment. */
export class SimulatedNodes {
  readonly names: string[];
  /** Heartbeat interval, ms. */
  readonly renewMs: number;
  readonly #core: CoreV1Api;
  readonly #coordination: CoordinationV1Api;
  readonly #lost = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param prefix  node names are `<prefix>-0` … `<prefix>-<count-1>`
   * @param renewMs heartbeat interval, ms (kubelets: 10 000; tests use less)
   */
  constructor(kubeConfig: KubeConfig, prefix: string, count: number, renewMs = 1000) {
    this.renewMs = renewMs;
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#coordination = kubeConfig.makeApiClient(CoordinationV1Api);
    this.names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  }

  /** Creates the Nodes (Ready=True) and their Leases, then renews the Leases every `renewMs`. */
  async start(): Promise<void> {
    for (const name of this.names) {
      await this.#core.createNode({
        body: { metadata: { name, labels: { 'kubernetes.io/hostname': name } } },
      });
      await this.#core.replaceNodeStatus({
        name,
        body: {
          metadata: { name },
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                lastHeartbeatTime: new Date(),
                lastTransitionTime: new Date(),
              },
            ],
          },
        },
      });
      await this.#coordination.createNamespacedLease({
        namespace: LEASE_NAMESPACE,
        body: { metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } },
      });
    }
    await this.#renew();
    this.#timer = setInterval(() => void this.#renew(), this.renewMs);
  }

  /** Stops the heartbeats and deletes the Nodes and Leases. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const name of this.names) {
      await this.#core.deleteNode({ name }).catch(() => undefined);
      await this.#coordination
        .deleteNamespacedLease({ name, namespace: LEASE_NAMESPACE })
        .catch(() => undefined);
    }
  }

  /** Whether `node` is lost (its heartbeat stopped). */
  isLost(node: string | undefined): boolean {
    return node !== undefined && this.#lost.has(node);
  }

  /** Stops the heartbeat of `node` (the kubelet is gone or cut off). */
  lose(node: string): void {
    this.#lost.add(node);
  }

  /** Resumes the heartbeat of `node` (the node is back). */
  restore(node: string): void {
    this.#lost.delete(node);
  }

  /**
   * The node for `pod`: of the nodes not lost and not excluded by a required
   * `kubernetes.io/hostname NotIn` term, the one with the fewest pods of the same attempt in
   * `pods` (the default spread), first by name on a tie.
   * @returns undefined when no node fits (the pod stays Pending)
   */
  pick(pod: V1Pod, pods: V1Pod[]): string | undefined {
    const excluded = new Set(
      (
        pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ??
        []
      )
        .flatMap((t) => t.matchExpressions ?? [])
        .filter((e) => e.key === 'kubernetes.io/hostname' && e.operator === 'NotIn')
        .flatMap((e) => e.values ?? []),
    );
    const attempt = pod.metadata?.labels?.['sluice.dev/attempt'];
    const job = pod.metadata?.labels?.['sluice.dev/job'];
    const load = (n: string) =>
      pods.filter(
        (p) =>
          p.spec?.nodeName === n &&
          p.metadata?.labels?.['sluice.dev/job'] === job &&
          p.metadata?.labels?.['sluice.dev/attempt'] === attempt,
      ).length;
    const fit = this.names.filter((n) => !this.#lost.has(n) && !excluded.has(n));
    return fit.sort((a, b) => load(a) - load(b) || a.localeCompare(b))[0];
  }

  /** Binds `pod` to `node` through the `pods/binding` subresource, as the scheduler does. */
  async bind(namespace: string, pod: string, node: string): Promise<void> {
    await this.#core.createNamespacedPodBinding({
      name: pod,
      namespace,
      body: { metadata: { name: pod }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
    });
  }

  async #renew(): Promise<void> {
    for (const name of this.names) {
      if (this.#lost.has(name)) continue;
      await this.#coordination
        .patchNamespacedLease(
          { name, namespace: LEASE_NAMESPACE, body: { spec: { renewTime: microTime(new Date()) } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )
        .catch(() => undefined);
    }
  }
}
