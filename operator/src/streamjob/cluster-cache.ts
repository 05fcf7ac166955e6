/**
 * What a reconcile observes — the StreamJob and its worker pods — read from the manager's
 * informer caches instead of the API server, with the operator's own writes seen at once
 * (kube/object-cache.ts; docs/operator.md "Reads: informer caches"). The status write's
 * resourceVersion precondition stays the safety net: a decision made on a job older than the
 * stored one fails with 409 and the job is reconciled again.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { Informer } from '../kube/informer.ts';
import { ObjectCache } from '../kube/object-cache.ts';
import { withEffectiveSpec } from './effective-spec.ts';
import { LABEL_JOB } from './names.ts';

/**
 * The index the pod informers file a worker pod under: `namespace/job` from its job label
 * (the informers list only worker pods the operator manages: names.ts MANAGED_PODS_SELECTOR).
 */
export function workerPodIndex(pod: V1Pod): string | undefined {
  const job = pod.metadata?.labels?.[LABEL_JOB];
  return job ? `${pod.metadata?.namespace ?? ''}/${job}` : undefined;
}

/** See the module comment. */
export class ClusterCache {
  readonly #jobs: ObjectCache<StreamJob>;
  readonly #pods: ObjectCache<V1Pod>;

  /**
   * @param jobInformer the StreamJob informer that covers a namespace
   * @param podInformer the worker pod informer (indexBy {@link workerPodIndex}) of a namespace
   */
  constructor(
    jobInformer: (namespace: string) => Informer<StreamJob> | undefined,
    podInformer: (namespace: string) => Informer<V1Pod> | undefined,
  ) {
    this.#jobs = new ObjectCache(jobInformer);
    this.#pods = new ObjectCache(podInformer, workerPodIndex);
  }

  /** The job with its effective spec (effective-spec.ts), or undefined when it does not exist. */
  job(namespace: string, name: string): StreamJob | undefined {
    const job = this.#jobs.get(namespace, name);
    return job && withEffectiveSpec(job);
  }

  /** Every worker pod of the job, of any attempt, deleting ones included (unordered). */
  workerPods(job: StreamJob): V1Pod[] {
    const namespace = job.metadata!.namespace!;
    return this.#pods.list(namespace, `${namespace}/${job.metadata!.name!}`);
  }

  /** Every worker pod of the job `pod` belongs to (its job label), `pod`'s cached version included. */
  podsOf(pod: V1Pod): V1Pod[] {
    const key = workerPodIndex(pod);
    return key ? this.#pods.list(pod.metadata?.namespace ?? '', key) : [];
  }

  /** Records a StreamJob as the API server returned it from a write (status or metadata). */
  wroteJob(job: StreamJob): void {
    this.#jobs.wrote(job);
  }

  /** Records a worker pod as the API server returned it from a create, patch or delete. */
  wrotePod(pod: V1Pod): void {
    this.#pods.wrote(pod);
  }
}
