import type { V1Pod } from '@kubernetes/client-node';
import { cachedPod } from './informers.ts';

describe('cachedPod', () => {
  const pod = (): V1Pod => ({
    metadata: {
      namespace: 'ns',
      name: 'job-a1-0',
      labels: { 'sluice.dev/job': 'job' },
      annotations: { a: '1' },
    },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'worker', image: 'sluice-runtime:dev', env: [{ name: 'X', value: 'y' }] }],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'worker', ready: true, restartCount: 0, image: 'i', imageID: 'i' }],
    },
  });

  it('keeps metadata, spec.nodeName and status, and drops the rest of the spec', () => {
    const full = pod();
    expect(cachedPod(pod())).toEqual({
      metadata: full.metadata,
      spec: { nodeName: 'node-1' },
      status: full.status,
    });
  });

  it('keeps an empty spec for a pod not yet scheduled', () => {
    const unscheduled = pod();
    delete unscheduled.spec!.nodeName;
    expect(cachedPod(unscheduled).spec).toEqual({});
  });
});
