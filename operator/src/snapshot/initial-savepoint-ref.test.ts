import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import { needsInitialSavepointRef, resolveInitialSavepointRef } from './initial-savepoint-ref.ts';
import { parseSnapshotUrl } from './snapshot-storage.ts';

const job = (attempt?: number) =>
  ({
    metadata: { name: 'b', namespace: 'ns' },
    spec: { initialSavepointRef: { name: 'sp1' } },
    status: attempt ? { attempt } : {},
  }) as unknown as StreamJob;
const snap = (status: StreamJobSnapshot['status']) => ({ spec: {}, status }) as StreamJobSnapshot;

describe('initialSavepointRef', () => {
  it('is resolved only before the first attempt', () => {
    expect(needsInitialSavepointRef(job())).toBe(true);
    expect(needsInitialSavepointRef(job(1))).toBe(false);
  });

  it("starts from a completed snapshot's path, waits for one not completed or missing, fails on a failed one", () => {
    expect(resolveInitialSavepointRef(job(), snap({ phase: 'Completed', path: 's3://b/x/sp-1' }))).toEqual({
      ok: true,
      initialSavepoint: 's3://b/x/sp-1',
    });
    expect(resolveInitialSavepointRef(job(), undefined)).toMatchObject({
      ok: false,
      wait: true,
      reason: 'InitialSavepointRefNotFound',
    });
    expect(resolveInitialSavepointRef(job(), snap({ phase: 'InProgress' }))).toMatchObject({
      ok: false,
      wait: true,
      reason: 'InitialSavepointRefPending',
    });
    expect(resolveInitialSavepointRef(job(), snap({ phase: 'Failed', reason: 'JobNotFound' }))).toMatchObject(
      {
        ok: false,
        wait: false,
        reason: 'InitialSavepointRefFailed',
      },
    );
  });

  it('parses snapshot URLs', () => {
    expect(parseSnapshotUrl('s3://bkt/a/b/sp-1/')).toEqual({ bucket: 'bkt', dir: 'a/b/sp-1' });
    expect(() => parseSnapshotUrl('a/b')).toThrow(/not s3:/);
  });
});
