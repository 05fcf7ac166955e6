import { checkpointsToDelete } from './retention.ts';

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
