/**
 * The StreamJob controller's two informers of one scope (a watched namespace, or the cluster):
 * every StreamJob, and the worker pods the operator manages (names.ts MANAGED_PODS_SELECTOR),
 * indexed by job for the reconcile's reads (cluster-cache.ts). Their event handlers are the
 * manager's (predicates.ts).
 */
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import { Informer, kubeListWatch } from '../kube/informer.ts';
import type { Logger } from '../kube/logger.ts';
import { workerPodIndex } from './cluster-cache.ts';
import { MANAGED_PODS_SELECTOR } from './names.ts';
import { StreamJobClient } from './streamjob-client.ts';

/**
 * What the pod informer keeps of a worker pod: metadata, `spec.nodeName` and status, which is
 * all the operator reads from cached pods (workers.ts, node-loss.ts, predicates.ts). The rest of
 * the spec (containers with their env, volumes) is two thirds of a worker pod's size: ≈ 6 KiB of
 * the 9.8 KiB per pod the heap snapshot of 1000 jobs showed (docs/operator.md "Memory under load").
 * @returns `pod`, changed in place (it comes fresh from the wire)
 */
export function cachedPod(pod: V1Pod): V1Pod {
  const nodeName = pod.spec?.nodeName;
  // The type wants containers; a cached pod has none (nothing reads them).
  if (pod.spec) pod.spec = (nodeName ? { nodeName } : {}) as V1Pod['spec'];
  return pod;
}

/** What {@link streamJobInformers} builds the informers from. */
export interface StreamJobInformerOptions {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  jobs: StreamJobClient;
  /** The namespace watched; undefined: every namespace. */
  namespace: string | undefined;
  clock: Clock;
  log: Logger;
  /** The StreamJob informer's resync period, ms (pods are not resynced). */
  resyncPeriodMs: number;
  /** Counts a re-list after a failure, by informer (`streamjobs` or `pods`). */
  onRestart(informer: 'streamjobs' | 'pods'): void;
}

/** See the module comment. The informers are not started. */
export function streamJobInformers(o: StreamJobInformerOptions): {
  jobs: Informer<StreamJob>;
  pods: Informer<V1Pod>;
} {
  const ns = o.namespace;
  const { kubeConfig, core, clock, log } = o;
  const jobs = new Informer<StreamJob>({
    name: `streamjobs${ns ? `/${ns}` : ''}`,
    listWatch: kubeListWatch(kubeConfig, StreamJobClient.collectionPath(ns), () => o.jobs.list(ns)),
    clock,
    log,
    resyncPeriodMs: o.resyncPeriodMs,
    onRestart: () => o.onRestart('streamjobs'),
  });
  const pods = new Informer<V1Pod>({
    name: `pods${ns ? `/${ns}` : ''}`,
    listWatch: kubeListWatch(
      kubeConfig,
      ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods',
      () =>
        ns
          ? core.listNamespacedPod({ namespace: ns, labelSelector: MANAGED_PODS_SELECTOR })
          : core.listPodForAllNamespaces({ labelSelector: MANAGED_PODS_SELECTOR }),
      { labelSelector: MANAGED_PODS_SELECTOR },
    ),
    clock,
    log,
    // Jobs resync; pods need not.
    resyncPeriodMs: 0,
    indexBy: workerPodIndex,
    transform: cachedPod,
    onRestart: () => o.onRestart('pods'),
  });
  return { jobs, pods };
}
