import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import { makeJob } from '../../../test/harness/operator-fixtures.ts';
import { jobSnapshotsChanged, snapshotChangeMatters } from './predicates.ts';

function snapshot(meta: Partial<NonNullable<StreamJobSnapshot['metadata']>> = {}): StreamJobSnapshot {
  return {
    metadata: { namespace: 'ns', name: 's1', generation: 1, uid: 'u1', ...meta },
    spec: { jobName: 'wc', kind: 'savepoint', disposeOnDelete: false, alreadyExists: false },
  } as StreamJobSnapshot;
}

describe('snapshot controller predicates', () => {
  it('reacts to a job savepoint history, a handled request or a new uid, not to other status', () => {
    const a = makeJob();
    const same = (status: StreamJob['status']): StreamJob => ({ ...a, status });
    expect(jobSnapshotsChanged(a, a)).toBe(true); // resync
    expect(jobSnapshotsChanged(a, same({ phase: 'Running' }))).toBe(false);
    expect(
      jobSnapshotsChanged(
        a,
        same({ savepoints: { history: [{ id: 'sp-1' }] } } as unknown as StreamJob['status']),
      ),
    ).toBe(true);
    expect(
      jobSnapshotsChanged(
        a,
        same({ lastHandledRequests: { restart: { nonce: 'n' } } } as unknown as StreamJob['status']),
      ),
    ).toBe(true);
    expect(jobSnapshotsChanged(a, { ...a, metadata: { ...a.metadata, uid: 'other' } })).toBe(true);
  });

  it('reacts to a snapshot spec, deletion or finalizer change, not to its status', () => {
    const a = snapshot();
    expect(snapshotChangeMatters(a, a)).toBe(true); // resync
    expect(
      snapshotChangeMatters(a, { ...snapshot(), status: { phase: 'Completed' } } as StreamJobSnapshot),
    ).toBe(false);
    expect(snapshotChangeMatters(a, snapshot({ generation: 2 }))).toBe(true);
    expect(snapshotChangeMatters(a, snapshot({ deletionTimestamp: new Date(0) }))).toBe(true);
    expect(snapshotChangeMatters(a, snapshot({ finalizers: ['sluice.dev/dispose'] }))).toBe(true);
  });
});
