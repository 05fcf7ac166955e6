import { makeJob, STORAGE } from '../../../test/harness/operator-fixtures.ts';
import { pinnedCheckpointIds } from './checkpoint-store.ts';

const chk = (id: number) => `${STORAGE.jobPrefix}/checkpoints/chk-${id}`;

describe('pinnedCheckpointIds', () => {
  it('pins the checkpoints the current attempt and a rollback would restore', () => {
    const job = makeJob(
      {},
      {
        restoredFrom: { kind: 'checkpoint', id: 4, path: chk(4) },
        upgrade: {
          targetSpecHash: 'h',
          stage: 'Verifying',
          attemptParallelism: 2,
          startedAt: '2026-11-23T10:00:00Z',
          rollbackFrom: { kind: 'checkpoint', id: 7, path: chk(7) },
        },
        rollback: {
          generation: 3,
          toGeneration: 2,
          restoredFrom: { kind: 'checkpoint', id: 2, path: chk(2) },
          rolledBackAt: '2026-11-23T10:00:00Z',
          message: 'm',
        },
      },
    );
    expect(pinnedCheckpointIds(job, STORAGE.jobPrefix)).toEqual([4, 7, 2]);
  });

  it('pins nothing for savepoints, initial savepoints of other jobs, or a fresh start', () => {
    const job = makeJob(
      {},
      { restoredFrom: { kind: 'savepoint', id: 4, path: `${STORAGE.jobPrefix}/savepoints/sp-4-x` } },
    );
    expect(pinnedCheckpointIds(job, STORAGE.jobPrefix)).toEqual([]);
    const other = makeJob(
      {},
      { restoredFrom: { kind: 'savepoint', path: 'prod/ns/old/u1/checkpoints/chk-9' } },
    );
    expect(pinnedCheckpointIds(other, STORAGE.jobPrefix)).toEqual([]);
    expect(pinnedCheckpointIds(makeJob(), STORAGE.jobPrefix)).toEqual([]);
  });
});
