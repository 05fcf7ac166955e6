/**
 * The coordinator's reads and writes of worker pods: the pods of the job's current attempt, and
 * the protocol annotations (request, commit notice) merge-patched onto them
 * (docs/checkpointing.md "Protocol (operator ↔ workers)").
 */
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { StreamJob } from '../../../api/src/streamjob.ts';
import { isNotFound } from '../kube/errors.ts';
import type { ClusterCache } from '../streamjob/cluster-cache.ts';
import { LABEL_ATTEMPT } from '../streamjob/names.ts';
import { observeWorker } from '../streamjob/workers.ts';

/**
 * The pods of the job's current attempt (`status.attempt`) that are not being deleted, in
 * subtask order, from the informer cache (streamjob/cluster-cache.ts).
 */
export function currentAttemptPods(cache: ClusterCache, job: StreamJob): V1Pod[] {
  const attempt = String(job.status?.attempt ?? 0);
  return cache
    .workerPods(job)
    .filter((p) => p.metadata?.labels?.[LABEL_ATTEMPT] === attempt && !p.metadata?.deletionTimestamp)
    .sort((a, b) => (observeWorker(a).index ?? 0) - (observeWorker(b).index ?? 0));
}

/**
 * Merge-patches `annotations` onto every pod that `needs` them, all at once, and records each pod
 * as patched in `cache`; pods gone meanwhile are skipped.
 * @throws Error naming the pod and the annotations when a patch fails otherwise
 */
export async function annotatePods(
  core: CoreV1Api,
  cache: ClusterCache,
  pods: V1Pod[],
  annotations: Record<string, string>,
  needs: (p: V1Pod) => boolean,
): Promise<void> {
  await Promise.all(
    pods.filter(needs).map(async (p) => {
      try {
        cache.wrotePod(
          await core.patchNamespacedPod(
            {
              name: p.metadata!.name!,
              namespace: p.metadata!.namespace!,
              body: { metadata: { annotations } },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        );
      } catch (err) {
        if (!isNotFound(err)) {
          throw new Error(
            `annotating worker pod ${p.metadata!.namespace}/${p.metadata!.name} with ${Object.keys(annotations).join(', ')} failed: ${(err as Error).message}`,
            { cause: err },
          );
        }
      }
    }),
  );
}
