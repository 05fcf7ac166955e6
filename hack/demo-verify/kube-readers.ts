/**
 * Readers of verify-job.ts through the Kubernetes API: the StreamJob's status, and the records
 * its workers read from their `/metrics` (docs/runtime.md "Metrics") through the API server's
 * pod proxy, on each pod's container port named `health` (the operator's worker health port).
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import {
  STREAMJOB_GROUP,
  STREAMJOB_PLURAL,
  STREAMJOB_VERSION,
  type StreamJob,
} from '@sluice/api/streamjob.ts';
import { recordsReadFromMetrics } from './records.ts';
import type { JobObservation, VerifyDeps } from './verify-job.ts';

/** Reads status.phase, status.attempt and status.checkpoints of StreamJob `namespace/name`. */
export function streamJobReader(kc: KubeConfig, namespace: string, name: string): VerifyDeps['readJob'] {
  const api = kc.makeApiClient(CustomObjectsApi);
  return async () => {
    const job = (await api.getNamespacedCustomObject({
      group: STREAMJOB_GROUP,
      version: STREAMJOB_VERSION,
      plural: STREAMJOB_PLURAL,
      namespace,
      name,
    })) as StreamJob;
    const st = job.status;
    const out: JobObservation = {};
    if (st?.phase) out.phase = st.phase;
    if (st?.attempt !== undefined) out.attempt = st.attempt;
    if (st?.checkpoints?.lastCompleted) out.lastCompletedId = st.checkpoints.lastCompleted.id;
    const f = st?.checkpoints?.lastFailure;
    if (f) out.lastFailure = `checkpoint ${f.id ?? '?'}: ${f.reason ?? ''} ${f.message ?? ''}`.trim();
    return out;
  };
}

/** Sums `recordsReadFromMetrics` over `texts`; names the sources that failed. */
export async function sumRecords(
  sources: Array<{ name: string; text: () => Promise<string> }>,
): Promise<{ recordsRead?: number; error?: string }> {
  let sum: number | undefined;
  const errors: string[] = [];
  for (const s of sources) {
    try {
      const n = recordsReadFromMetrics(await s.text());
      if (n === undefined) errors.push(`${s.name}: no sluice_task_records_in_total for stage 0`);
      else sum = (sum ?? 0) + n;
    } catch (err) {
      errors.push(`${s.name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (sources.length === 0) errors.push('no worker pods');
  return {
    ...(sum !== undefined ? { recordsRead: sum } : {}),
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
}

/** Records read by the worker pods of the job's current attempt, through the pod proxy. */
export function podProxyRecordsReader(
  kc: KubeConfig,
  namespace: string,
  name: string,
): VerifyDeps['readRecords'] {
  const core = kc.makeApiClient(CoreV1Api);
  return async (job) => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `sluice.dev/job=${name}` });
    const current = pods.items.filter(
      (p: V1Pod) =>
        job.attempt === undefined || p.metadata?.labels?.['sluice.dev/attempt'] === String(job.attempt),
    );
    return sumRecords(
      current.map((p) => {
        const pod = p.metadata!.name!;
        const port = p.spec?.containers
          .flatMap((c) => c.ports ?? [])
          .find((x) => x.name === 'health')?.containerPort;
        return {
          name: pod,
          text: async () => {
            if (!port) throw new Error('no container port named health');
            return String(
              await core.connectGetNamespacedPodProxyWithPath({
                name: `${pod}:${port}`,
                namespace,
                path: 'metrics',
              }),
            );
          },
        };
      }),
    );
  };
}

/** Records read by workers whose /metrics URLs are known (local workers). */
export function urlRecordsReader(urls: string[]): VerifyDeps['readRecords'] {
  return () =>
    sumRecords(
      urls.map((url) => ({
        name: url,
        text: async () => {
          const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          return r.text();
        },
      })),
    );
}
