import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import { defaultSpec } from '../../../test/harness/operator-fixtures.ts';
import {
  deletionBoundMs,
  finalSavepointTaken,
  finalizersNeedUpdate,
  keptSavepointDirs,
  deletedOnDelete,
  stoppingView,
  wantedFinalizers,
  workersStopped,
} from './on-delete.ts';

const job = (onDelete: 'keep' | 'savepoint' | 'delete', extra: Partial<StreamJob> = {}): StreamJob => ({
  metadata: { name: 'wc', namespace: 'ns', uid: 'u1', finalizers: ['other'] },
  spec: { ...defaultSpec(), onDelete },
  ...extra,
});

describe('spec.onDelete', () => {
  it('keeps the finalizer exactly on savepoint and delete, next to others', () => {
    expect(wantedFinalizers(job('keep'))).toEqual(['other']);
    expect(wantedFinalizers(job('delete'))).toEqual(['other', 'sluice.dev/on-delete']);
    expect(finalizersNeedUpdate(job('savepoint'))).toBe(true);
    expect(finalizersNeedUpdate(job('keep'))).toBe(false);
    const held = job('keep');
    held.metadata!.finalizers = ['sluice.dev/on-delete'];
    expect(finalizersNeedUpdate(held)).toBe(true);
  });

  it('stops the workers with a savepoint for savepoint, without one for delete, within a bound', () => {
    expect(stoppingView(job('savepoint')).spec).toMatchObject({
      state: 'suspended',
      upgradeMode: 'savepoint',
    });
    expect(stoppingView(job('delete')).spec).toMatchObject({ state: 'suspended', upgradeMode: 'last-state' });
    expect(deletionBoundMs(job('savepoint'))).toBe(600_000 + 30_000);
    expect(deletionBoundMs(job('delete'))).toBe(60_000 + 30_000);
    expect(workersStopped(job('delete', { status: { attempt: 2, phase: 'Running' } }))).toBe(false);
    for (const phase of ['Suspended', 'Finished', 'Failed'] as const)
      expect(workersStopped(job('delete', { status: { attempt: 2, phase } }))).toBe(true);
    expect(workersStopped(job('delete'))).toBe(true);
  });

  it('sees a final savepoint only when one completed after the deletion', () => {
    const j = (completedAt: string) =>
      job('savepoint', {
        metadata: { name: 'wc', deletionTimestamp: '2026-12-05T12:00:00Z' as unknown as Date },
        status: { savepoints: { last: { id: 3, path: 'p', completedAt } } },
      });
    expect(finalSavepointTaken(j('2026-12-05T12:00:05Z'))).toBe(true);
    expect(finalSavepointTaken(j('2026-12-05T11:50:00Z'))).toBe(false);
  });

  it('deletes checkpoints and savepoints except those snapshot objects keep', () => {
    const sjs = (name: string, path: string, disposeOnDelete: boolean, jobUid = 'u1') =>
      ({
        metadata: { name },
        spec: { jobName: 'wc', disposeOnDelete },
        status: { path, jobUid },
      }) as StreamJobSnapshot;
    const kept = keptSavepointDirs(job('delete'), [
      sjs('a', 's3://b/p/ns/wc/u1/savepoints/sp-3-x', false),
      sjs('b', 's3://b/p/ns/wc/u1/savepoints/sp-5-y', true),
      sjs('c', 's3://b/p/ns/wc/old/savepoints/sp-1-z', false, 'old'),
    ]);
    expect(kept).toEqual(['p/ns/wc/u1/savepoints/sp-3-x']);
    const names = [
      'p/ns/wc/u1/checkpoints/chk-4/_metadata',
      'p/ns/wc/u1/savepoints/sp-3-x/_metadata',
      'p/ns/wc/u1/savepoints/sp-5-y/_metadata',
      'p/ns/wc/u1/shared/s1-w0-ab/4-000009.sst',
      'p/ns/wc/u1/other/file',
    ];
    expect(names.filter((n) => deletedOnDelete('p/ns/wc/u1', n, kept))).toEqual([
      'p/ns/wc/u1/checkpoints/chk-4/_metadata',
      'p/ns/wc/u1/savepoints/sp-5-y/_metadata',
      'p/ns/wc/u1/shared/s1-w0-ab/4-000009.sst',
    ]);
  });
});
