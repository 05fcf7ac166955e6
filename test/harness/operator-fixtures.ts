/**
 * Hand-built objects for unit tests: a StreamJob as the API server returns it (defaults
 * applied, metadata set) and worker pods in any state.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { StreamJob, StreamJobSpec, StreamJobStatus } from '@sluice/api/streamjob.ts';
import type { WorkerSettings } from '../../operator/src/streamjob/desired-state.ts';
import type { EffectiveStorage } from '../../operator/src/streamjob/storage.ts';

/** UID of {@link makeJob}'s job. */
export const JOB_UID = '0b7d7e4c-7a26-4a5f-9d3e-3f1c2f6a9b10';

/** The spec defaults of the CRD. */
export function defaultSpec(): StreamJobSpec {
  return {
    image: 'sluice-runtime:dev',
    imagePullPolicy: 'IfNotPresent',
    job: { entry: 'wordcount', config: { input: { generator: { lines: 10 } } } },
    parallelism: 2,
    maxParallelism: 128,
    state: 'running',
    stateBackend: { type: 'heap' },
    upgradeMode: 'savepoint',
    upgradeTimeoutSeconds: 300,
    checkpoint: { intervalSeconds: 60, timeoutSeconds: 600, retained: 3 },
    savepoint: { timeoutSeconds: 600, historyLimit: 10 },
    restartPolicy: {
      maxRestarts: 10,
      backoffSeconds: 5,
      maxBackoffSeconds: 300,
      notReadyTimeoutSeconds: 300,
    },
    allowNonRestoredState: false,
    onDelete: 'keep',
  };
}

/** A StreamJob `wc` in namespace `ns` at generation 1, with `spec`/`status` overrides. */
export function makeJob(
  spec: Partial<StreamJobSpec> = {},
  status?: StreamJobStatus,
  generation = 1,
): StreamJob {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { name: 'wc', namespace: 'ns', uid: JOB_UID, generation, resourceVersion: '100' },
    spec: { ...defaultSpec(), ...spec },
    ...(status ? { status } : {}),
  };
}

/** Effective storage of {@link makeJob}'s job. */
export const STORAGE: EffectiveStorage = {
  endpoint: 'http://minio.sluice-system:9000',
  bucket: 'sluice',
  prefix: 'prod',
  jobPrefix: `prod/ns/wc/${JOB_UID}`,
  secretName: 'wc-storage-credentials',
  mintFrom: { namespace: 'sluice-system', name: 'sluice-storage-credentials' },
};

/** Operator worker settings used by the tests. */
export const WORKER: WorkerSettings = { runAsUser: 65532, runAsGroup: 65532, dataPort: 7070 };

/** How a test pod should look to the operator. */
export type PodShape =
  'pending' | 'ready' | 'running-not-ready' | 'failed' | 'succeeded' | 'image-pull-backoff' | 'terminating';

/**
 * A worker pod of job `wc` (controlled by {@link JOB_UID} unless `ownerUid` is given) for
 * `attempt`/`index`, built from `specHash`.
 */
export function makePod(
  attempt: number,
  index: number,
  shape: PodShape = 'pending',
  opts: { specHash?: string; ownerUid?: string; name?: string } = {},
): V1Pod {
  const pod: V1Pod = {
    metadata: {
      name: opts.name ?? `wc-${attempt}-${index}`,
      namespace: 'ns',
      labels: {
        'sluice.dev/job': 'wc',
        'app.kubernetes.io/component': 'worker',
        'sluice.dev/attempt': String(attempt),
        'sluice.dev/subtask': String(index),
      },
      annotations: { 'sluice.dev/spec-hash': opts.specHash ?? 'h1' },
      ownerReferences: [
        {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'StreamJob',
          name: 'wc',
          uid: opts.ownerUid ?? JOB_UID,
          controller: true,
        },
      ],
    },
    spec: { containers: [{ name: 'worker', image: 'sluice-runtime:dev' }] },
    status: { phase: 'Pending' },
  };
  const ready = (status: 'True' | 'False') => [{ type: 'Ready', status }];
  switch (shape) {
    case 'ready':
      pod.status = { phase: 'Running', conditions: ready('True') };
      break;
    case 'running-not-ready':
      pod.status = { phase: 'Running', conditions: ready('False') };
      break;
    case 'failed':
      pod.status = {
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'worker',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
          },
        ],
      };
      break;
    case 'succeeded':
      pod.status = { phase: 'Succeeded' };
      break;
    case 'image-pull-backoff':
      pod.status = {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'worker',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } },
          },
        ],
      };
      break;
    case 'terminating':
      pod.metadata!.deletionTimestamp = new Date(0);
      break;
    case 'pending':
      break;
  }
  return pod;
}
