/**
 * The worker pods the checkpoint coordinator reads acks from: those of the job's current attempt
 * (docs/checkpointing.md "Protocol (operator ↔ workers)").
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
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
