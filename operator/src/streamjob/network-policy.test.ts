import type { StreamJob } from '@sluice/api/streamjob.ts';
import { desiredNetworkPolicy } from './network-policy.ts';

const job = { metadata: { name: 'wc', namespace: 'team-a', uid: 'u-1' } } as unknown as StreamJob;

describe('desiredNetworkPolicy', () => {
  it("admits the data port from the job's workers only and the health port from anywhere", () => {
    const p = desiredNetworkPolicy(job, { runAsUser: 1, runAsGroup: 1, dataPort: 7071 });
    const workers = { matchLabels: { 'sluice.dev/job': 'wc', 'app.kubernetes.io/component': 'worker' } };
    expect(p.metadata).toMatchObject({ name: 'wc-workers', namespace: 'team-a' });
    expect(p.metadata!.ownerReferences![0]).toMatchObject({ kind: 'StreamJob', name: 'wc', uid: 'u-1' });
    expect(p.spec).toEqual({
      podSelector: workers,
      policyTypes: ['Ingress'],
      ingress: [
        { _from: [{ podSelector: workers }], ports: [{ port: 7071, protocol: 'TCP' }] },
        // The health port moves to 7072 when the data port takes 7071 (desired-state.ts).
        { ports: [{ port: 7072, protocol: 'TCP' }] },
      ],
    });
  });
});
