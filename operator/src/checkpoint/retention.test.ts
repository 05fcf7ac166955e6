import { checkpointIdOf, checkpointsToDelete } from './retention.ts';

const done = (...ids: number[]) => ids.map((id) => ({ id, complete: true }));
const partial = (...ids: number[]) => ids.map((id) => ({ id, complete: false }));

describe('checkpointsToDelete', () => {
  it('keeps exactly the newest `retained` completed checkpoints', () => {
    expect(
      checkpointsToDelete(done(1, 2, 3, 4, 5), { retained: 3, lastCompletedId: 5, inProgressId: undefined }),
    ).toEqual([1, 2]);
  });

  it('never deletes the checkpoint recorded in status, even when it is not among the newest', () => {
    expect(
      checkpointsToDelete(done(3, 4, 5, 6), { retained: 1, lastCompletedId: 4, inProgressId: undefined }),
    ).toEqual([3, 5]);
  });

  it('deletes incomplete directories left by aborted checkpoints but not the one in progress', () => {
    const stored = [...done(2, 4), ...partial(3, 5, 6)];
    expect(checkpointsToDelete(stored, { retained: 2, lastCompletedId: 4, inProgressId: 6 })).toEqual([3, 5]);
  });

  it('keeps at least one completed checkpoint when retained is out of range', () => {
    expect(
      checkpointsToDelete(done(1, 2), { retained: 0, lastCompletedId: undefined, inProgressId: undefined }),
    ).toEqual([1]);
  });

  it('deletes nothing from an empty listing', () => {
    expect(
      checkpointsToDelete([], { retained: 3, lastCompletedId: undefined, inProgressId: undefined }),
    ).toEqual([]);
  });
});

describe('checkpointsToDelete across attempts', () => {
  it('never deletes a pinned checkpoint (restored by the current attempt, or a rollback source)', () => {
    expect(
      checkpointsToDelete(done(2, 3, 4, 5, 6), {
        retained: 2,
        lastCompletedId: 6,
        inProgressId: undefined,
        pinnedIds: [2, 4],
      }),
    ).toEqual([3]);
  });

  it('counts only readable checkpoints towards `retained`', () => {
    const stored = [...done(1, 2, 3), { id: 4, complete: true, unreadable: true }];
    // chk-4 cannot be restored: the two newest restorable ones are 3 and 2.
    expect(checkpointsToDelete(stored, { retained: 2, lastCompletedId: 3, inProgressId: undefined })).toEqual(
      [1, 4],
    );
    // ... unless it is the one in status.
    expect(checkpointsToDelete(stored, { retained: 2, lastCompletedId: 4, inProgressId: undefined })).toEqual(
      [1],
    );
  });
});

describe('checkpointIdOf', () => {
  it('reads the id of the job’s own checkpoint directories only', () => {
    expect(checkpointIdOf('p/ns/wc/u/checkpoints/chk-17', 'p/ns/wc/u')).toBe(17);
    expect(checkpointIdOf('p/ns/wc/u/checkpoints/chk-17/', 'p/ns/wc/u')).toBe(17);
    expect(checkpointIdOf('p/ns/wc/u/savepoints/sp-17-x', 'p/ns/wc/u')).toBeUndefined();
    expect(checkpointIdOf('p/ns/other/v/checkpoints/chk-17', 'p/ns/wc/u')).toBeUndefined();
    expect(checkpointIdOf('p/ns/wc/u/checkpoints/chk-x', 'p/ns/wc/u')).toBeUndefined();
    expect(checkpointIdOf(undefined, 'p/ns/wc/u')).toBeUndefined();
  });
});
