/**
 * Watches Nodes and their kubelet heartbeat Leases (`kube-node-lease`) and answers which nodes
 * are lost (streamjob/node-loss.ts `judgeNode`; docs/checkpointing.md, "Lost nodes and fencing").
 * A lost node produces no watch event of its own (its kubelet is silent), so a timer re-judges
 * every node each `checkIntervalMs` and calls `onNodeLost` once for every node that became lost.
 *
 * Needs `nodes` get/list/watch and `leases` list/watch in `kube-node-lease`
 * (operator/config/rbac/role.yaml, document 3). Without them the informers retry with backoff
 * and every node stays unknown: the operator then behaves as without node-loss detection.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Lease,
  type V1Node,
} from '@kubernetes/client-node';
import { judgeNode, type NodeHealth, type NodeLoss } from './node-loss.ts';
import type { Clock, TimerHandle } from '../kube/clock.ts';
import { Informer, kubeListWatch } from '../kube/informer.ts';
import type { Logger } from '../kube/logger.ts';

/** Namespace of the kubelets' heartbeat Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Options of {@link NodeWatch}. */
export interface NodeWatchOptions {
  kubeConfig: KubeConfig;
  clock: Clock;
  log: Logger;
  /** Heartbeat age that counts as lost, ms. */
  leaseGraceMs: number;
  /** How often every node is judged again, ms (default 2000). */
  checkIntervalMs?: number;
  /** Called once per node that turned lost (again after it recovered and was lost anew). */
  onNodeLost(loss: NodeLoss): void;
  onRestart?(informer: string): void;
}

/** See the module comment. */
export class NodeWatch implements NodeHealth {
  readonly nodes: Informer<V1Node>;
  readonly leases: Informer<V1Lease>;
  readonly #o: NodeWatchOptions;
  readonly #reported = new Set<string>();
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(o: NodeWatchOptions) {
    this.#o = o;
    const core = o.kubeConfig.makeApiClient(CoreV1Api);
    const coordination = o.kubeConfig.makeApiClient(CoordinationV1Api);
    this.nodes = new Informer<V1Node>({
      name: 'nodes',
      listWatch: kubeListWatch(o.kubeConfig, '/api/v1/nodes', () => core.listNode()),
      clock: o.clock,
      log: o.log,
      resyncPeriodMs: 0,
      onRestart: () => o.onRestart?.('nodes'),
    });
    this.leases = new Informer<V1Lease>({
      name: 'node-leases',
      listWatch: kubeListWatch(
        o.kubeConfig,
        `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`,
        () => coordination.listNamespacedLease({ namespace: NODE_LEASE_NAMESPACE }),
      ),
      clock: o.clock,
      log: o.log,
      resyncPeriodMs: 0,
      onRestart: () => o.onRestart?.('node-leases'),
    });
    // A Node turning NotReady is an event; judge at once instead of at the next tick.
    this.nodes.addHandlers({ onUpdate: () => this.#check(), onAdd: () => this.#check() });
  }

  lost(nodeName: string, now: number): NodeLoss | undefined {
    return judgeNode(
      nodeName,
      this.nodes.get(nodeName),
      this.leases.get(`${NODE_LEASE_NAMESPACE}/${nodeName}`),
      now,
      this.#o.leaseGraceMs,
    );
  }

  lostNodes(now: number): string[] {
    const names = new Set([
      ...this.nodes.list().map((n) => n.metadata?.name ?? ''),
      ...this.leases.list().map((l) => l.metadata?.name ?? ''),
    ]);
    return [...names].filter((n) => n && this.lost(n, now)).sort();
  }

  /** Starts both informers and the periodic check. */
  start(): void {
    this.nodes.start();
    this.leases.start();
    this.#schedule();
  }

  /** Stops the informers and the timer. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    await Promise.all([this.nodes.stop(), this.leases.stop()]);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#check();
      this.#schedule();
    }, this.#o.checkIntervalMs ?? 2000);
  }

  #check(): void {
    const now = this.#o.clock.now();
    const lost = new Set(this.lostNodes(now));
    for (const name of lost) {
      if (this.#reported.has(name)) continue;
      this.#reported.add(name);
      const loss = this.lost(name, now)!;
      this.#o.log.warn({ node: name, reason: loss.reason }, 'node lost');
      this.#o.onNodeLost(loss);
    }
    for (const name of [...this.#reported]) if (!lost.has(name)) this.#reported.delete(name);
  }
}
