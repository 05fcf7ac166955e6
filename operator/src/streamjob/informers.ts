/**
 * The StreamJob controller's two informers of one scope (a watched namespace, or the cluster):
 * every StreamJob, and the worker pods the operator manages (names.ts MANAGED_PODS_SELECTOR),
 * indexed by job for the reconcile's reads (cluster-cache.ts). Their event handlers are the
 * manager's (predicates.ts).
 */
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { StreamJob } from '../../../api/src/streamjob.ts';
import type { Clock } from '../kube/clock.ts';
import { Informer, kubeListWatch } from '../kube/informer.ts';
import type { Logger } from '../kube/logger.ts';
import { workerPodIndex } from './cluster-cache.ts';
import { MANAGED_PODS_SELECTOR } from './names.ts';
import { StreamJobClient } from './streamjob-client.ts';

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
    onRestart: () => o.onRestart('pods'),
  });
  return { jobs, pods };
}
