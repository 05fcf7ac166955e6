/**
 * The NetworkPolicy `<job>-workers` that fences a job's worker pods (docs/security.md
 * "Network"): the shuffle (data) port accepts connections only from the same job's worker pods
 * (any attempt); the health port (/readyz, /livez, /metrics: no job data) stays open so that
 * probes, the API server's pod proxy and metrics scrapers reach it; nothing else is allowed in.
 * It only takes effect where the cluster's network plugin enforces NetworkPolicy (Calico, Cilium
 * and recent kindnet do; the bridge CNI of this project's test kind clusters does not, see
 * docs/security.md). Workers' egress (storage, peers, Kafka) is not limited.
 */
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { ownerReference, workerHealthPort, type WorkerSettings } from './desired-state.ts';
import { commonLabels, workerServiceName, workerSelector } from './names.ts';

/**
 * The job's worker NetworkPolicy, named like its headless Service and owned by the job.
 * @param worker the operator's worker settings (data and health ports, TCP)
 */
export function desiredNetworkPolicy(job: StreamJob, worker: WorkerSettings): V1NetworkPolicy {
  const name = job.metadata!.name!;
  const namespace = job.metadata!.namespace!;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: workerServiceName(name),
      namespace,
      labels: commonLabels(name),
      ownerReferences: [ownerReference(job)],
    },
    spec: {
      podSelector: { matchLabels: workerSelector(name) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          _from: [{ podSelector: { matchLabels: workerSelector(name) } }], // `from` on the wire
          ports: [{ port: worker.dataPort, protocol: 'TCP' }],
        },
        { ports: [{ port: workerHealthPort(worker), protocol: 'TCP' }] },
      ],
    },
  };
}
