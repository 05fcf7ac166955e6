import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import { missingRecords, originOf, recordsOfDisposed } from './snapshot-records.ts';

const job = {
  metadata: { name: 'wc', namespace: 'ns', uid: 'job-1' },
  status: {
    savepoints: {
      history: [
        { id: 9, path: 'ns/wc/job-1/savepoints/sp-9-_periodic', nonce: '_periodic', bytes: 5 },
        { id: 7, path: 'ns/wc/job-1/savepoints/sp-7-mine', nonce: 'mine' },
        { id: 5, path: 'ns/wc/job-1/savepoints/sp-5-sjs.u-1', nonce: 'sjs.u-1' },
        { id: 3, path: 'ns/wc/job-1/savepoints/sp-3-_operator' },
      ],
    },
  },
} as unknown as StreamJob;

describe('snapshot records', () => {
  it('names who took a savepoint from its nonce', () => {
    expect([undefined, '_periodic', 'mine', 'sjs.x'].map(originOf)).toEqual([
      'StopWithSavepoint',
      'Periodic',
      'Annotation',
      'Requested',
    ]);
  });

  it("records the operator's own savepoints that have no object yet, never a snapshot object's", () => {
    const existing = [{ metadata: { name: 'wc-sp-7' } }] as StreamJobSnapshot[];
    const records = missingRecords(job, existing, 'bkt');
    expect(records.map((r) => r.object.metadata!.name)).toEqual(['wc-sp-9', 'wc-sp-3']);
    expect(records[0]!.object).toMatchObject({
      metadata: { namespace: 'ns', labels: { 'sluice.dev/job': 'wc' } },
      spec: { jobName: 'wc', kind: 'savepoint', alreadyExists: true, disposeOnDelete: false },
    });
    expect(records[0]!.object.metadata!.ownerReferences).toBeUndefined();
    expect(records[0]!.status).toMatchObject({
      phase: 'Completed',
      origin: 'Periodic',
      id: 9,
      bytes: 5,
      jobUid: 'job-1',
      path: 's3://bkt/ns/wc/job-1/savepoints/sp-9-_periodic',
    });
    expect(records[1]!.status).toMatchObject({ origin: 'StopWithSavepoint', id: 3 });
  });

  it('finds the records of disposed savepoints of this job (this uid) only', () => {
    const s = (name: string, jobName: string, id: number, jobUid: string) =>
      ({
        metadata: { name },
        spec: { jobName, kind: 'savepoint' },
        status: { id, jobUid },
      }) as StreamJobSnapshot;
    const existing = [
      s('a', 'wc', 9, 'job-1'),
      s('b', 'wc', 7, 'job-1'),
      s('c', 'other', 9, 'x'),
      s('d', 'wc', 9, 'old'),
    ];
    expect(recordsOfDisposed(job, existing, new Set([9])).map((r) => r.metadata!.name)).toEqual(['a']);
  });
});
