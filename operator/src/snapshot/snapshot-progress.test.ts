import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import { nextSnapshotStep, snapshotNonce } from './snapshot-progress.ts';

const NOW = Date.parse('2026-12-05T12:00:00Z');

function snap(
  over: Partial<StreamJobSnapshot['spec']> = {},
  status?: StreamJobSnapshot['status'],
): StreamJobSnapshot {
  return {
    metadata: { name: 's1', namespace: 'ns', uid: 'u-1', generation: 1 },
    spec: { jobName: 'wc', kind: 'savepoint', disposeOnDelete: false, alreadyExists: false, ...over },
    ...(status ? { status } : {}),
  };
}

function job(annotations: Record<string, string> = {}, status: StreamJob['status'] = {}): StreamJob {
  return {
    metadata: { name: 'wc', namespace: 'ns', uid: 'job-1', annotations },
    status,
  } as unknown as StreamJob;
}

describe('nextSnapshotStep', () => {
  const nonce = snapshotNonce(snap());

  it('requests the snapshot through the job annotation when no request of that kind is pending', () => {
    expect(nonce).toBe('sjs.u-1');
    const step = nextSnapshotStep(snap(), job(), 'b', NOW);
    expect(step).toMatchObject({
      action: 'request',
      annotation: 'sluice.dev/savepoint',
      nonce,
      status: { phase: 'Pending', origin: 'Requested', nonce, jobUid: 'job-1', observedGeneration: 1 },
    });
    const handledOther = job(
      { 'sluice.dev/checkpoint': 'x1' },
      {
        lastHandledRequests: { checkpoint: { nonce: 'x1', result: 'Completed' } },
      },
    );
    expect(nextSnapshotStep(snap({ kind: 'checkpoint' }), handledOther, 'b', NOW)).toMatchObject({
      action: 'request',
      annotation: 'sluice.dev/checkpoint',
    });
  });

  it("waits while a user's request of the same kind is pending and never overwrites it", () => {
    const step = nextSnapshotStep(snap(), job({ 'sluice.dev/savepoint': 'mine' }), 'b', NOW);
    expect(step).toMatchObject({ action: 'status', done: false, status: { phase: 'Pending' } });
    expect(step.action === 'status' && step.status.message).toMatch(/pending sluice.dev\/savepoint=mine/);
  });

  it('follows the handled request: Accepted is InProgress with id and path, a history entry is Completed', () => {
    const accepted = job(
      { 'sluice.dev/savepoint': nonce },
      {
        lastHandledRequests: {
          savepoint: { nonce, result: 'Accepted', id: 7, path: 'p/ns/wc/job-1/savepoints/sp-7-x' },
        },
      },
    );
    expect(nextSnapshotStep(snap(), accepted, 'bkt', NOW)).toMatchObject({
      action: 'status',
      done: false,
      status: { phase: 'InProgress', id: 7, path: 's3://bkt/p/ns/wc/job-1/savepoints/sp-7-x' },
    });
    const completed = job(
      { 'sluice.dev/savepoint': nonce },
      {
        lastHandledRequests: { savepoint: { nonce, result: 'Completed', id: 7 } },
        savepoints: {
          history: [{ id: 7, path: 'p/sp-7', nonce, bytes: 42, completedAt: '2026-12-05T11:59:00Z' }],
        },
      },
    );
    expect(nextSnapshotStep(snap(), completed, 'bkt', NOW)).toMatchObject({
      action: 'status',
      done: true,
      status: {
        phase: 'Completed',
        id: 7,
        path: 's3://bkt/p/sp-7',
        bytes: 42,
        completedAt: '2026-12-05T11:59:00Z',
      },
    });
  });

  it("fails with the job's message when the request was rejected or the snapshot failed", () => {
    const rejected = job(
      { 'sluice.dev/savepoint': nonce },
      { lastHandledRequests: { savepoint: { nonce, result: 'Rejected', message: 'the job is suspended' } } },
    );
    expect(nextSnapshotStep(snap(), rejected, 'b', NOW)).toMatchObject({
      action: 'status',
      done: true,
      status: { phase: 'Failed', reason: 'RequestRejected', message: 'the job is suspended' },
    });
    const failed = job(
      { 'sluice.dev/savepoint': nonce },
      { lastHandledRequests: { savepoint: { nonce, result: 'Failed', message: 'timed out', id: 3 } } },
    );
    expect(nextSnapshotStep(snap(), failed, 'b', NOW)).toMatchObject({
      status: { phase: 'Failed', reason: 'SnapshotFailed', id: 3 },
    });
  });

  it('fails when the job is missing, was replaced, or its request was overwritten', () => {
    expect(nextSnapshotStep(snap(), undefined, 'b', NOW)).toMatchObject({
      status: { phase: 'Failed', reason: 'JobNotFound' },
    });
    const pending = { phase: 'Pending' as const, nonce, jobUid: 'old-uid' };
    expect(nextSnapshotStep(snap({}, pending), job(), 'b', NOW)).toMatchObject({
      status: { phase: 'Failed', reason: 'JobReplaced' },
    });
    const overwritten = job({ 'sluice.dev/savepoint': 'other' });
    expect(nextSnapshotStep(snap({}, { ...pending, jobUid: 'job-1' }), overwritten, 'b', NOW)).toMatchObject({
      status: { phase: 'Failed', reason: 'RequestSuperseded' },
    });
  });

  it('does nothing for recorded or finished snapshots', () => {
    expect(nextSnapshotStep(snap({ alreadyExists: true }), job(), 'b', NOW)).toEqual({ action: 'none' });
    expect(nextSnapshotStep(snap({}, { phase: 'Completed' }), job(), 'b', NOW)).toEqual({ action: 'none' });
    expect(nextSnapshotStep(snap({}, { phase: 'Failed' }), undefined, 'b', NOW)).toEqual({ action: 'none' });
  });
});
