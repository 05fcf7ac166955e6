import { sharedFileKey } from '@sluice/api/layout.ts';
import { METADATA_FORMAT_VERSION, type SnapshotMetadata } from '@sluice/api/metadata.ts';
import { referencedSharedFiles, sharedFilesProblem, sharedFilesToDelete } from './shared-state-store.ts';

const sha = 'a'.repeat(64);

function metadata(id: number, sharedKeys: string[]): SnapshotMetadata {
  return {
    formatVersion: METADATA_FORMAT_VERSION,
    id,
    kind: 'checkpoint',
    job: { namespace: 'ns', name: 'wc', uid: 'u' },
    maxParallelism: 128,
    parallelism: 1,
    attempt: 1,
    workers: [
      {
        id,
        subtask: 0,
        bytes: 1,
        files: [{ key: 'state-0.snap', bytes: 1, sha256: sha }],
        sharedFiles: sharedKeys.map((key) => ({ key, bytes: 1, sha256: sha })),
      },
    ],
    bytes: 1,
    triggeredAt: '2026-12-06T00:00:00Z',
    completedAt: '2026-12-06T00:00:01Z',
  };
}

const k = (id: number, file: string) => sharedFileKey('s1-w0-ab', id, file);

describe('sharedFilesToDelete', () => {
  it('deletes unreferenced files of finished checkpoints only', () => {
    const keys = [k(1, '000007.sst'), k(2, '000009.sst'), k(3, '000011.sst'), k(4, '000013.sst'), 'junk'];
    const referenced = new Set([k(2, '000009.sst')]);
    // 3 completed, 4 in progress: 1 goes, 2 is referenced, 3 is the last completed's own upload
    // but unreferenced (its checkpoint's metadata was deleted), 4 is in flight, junk is not ours.
    expect(sharedFilesToDelete(keys, referenced, { lastCompletedId: 3, inProgressId: 4 })).toEqual([
      k(1, '000007.sst'),
      k(3, '000011.sst'),
    ]);
  });

  it('keeps uploads of an aborted checkpoint newer than the last completed one', () => {
    expect(
      sharedFilesToDelete([k(6, 'x.sst')], new Set(), { lastCompletedId: 5, inProgressId: undefined }),
    ).toEqual([]);
    expect(
      sharedFilesToDelete([k(6, 'x.sst')], new Set(), { lastCompletedId: 7, inProgressId: undefined }),
    ).toEqual([k(6, 'x.sst')]);
  });

  it('deletes nothing before a checkpoint completed', () => {
    expect(
      sharedFilesToDelete([k(1, 'x.sst')], new Set(), { lastCompletedId: undefined, inProgressId: 1 }),
    ).toEqual([]);
  });
});

describe('shared files across checkpoint deletions in every order', () => {
  // A worker's RocksDB over five checkpoints: files appear (flushes) and disappear (compactions);
  // each checkpoint references its live files, uploaded once under the id that first had them.
  const live: Record<number, string[]> = {
    1: [k(1, 'a.sst'), k(1, 'b.sst')],
    2: [k(1, 'a.sst'), k(1, 'b.sst'), k(2, 'c.sst')],
    3: [k(1, 'a.sst'), k(3, 'd.sst')], // b and c compacted into d
    4: [k(1, 'a.sst'), k(3, 'd.sst'), k(4, 'e.sst')],
    5: [k(4, 'e.sst'), k(5, 'f.sst')], // a and d compacted into f
  };
  const all = [...new Set(Object.values(live).flat())];

  function permutations<T>(xs: T[]): T[][] {
    if (xs.length <= 1) return [xs];
    return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
  }

  it.each(permutations([1, 2, 3, 4]).map((order) => [order.join(',')]))(
    'never deletes a file a remaining checkpoint references (deleting %s)',
    (orderText) => {
      const order = orderText.split(',').map(Number);
      const stored = new Set(all);
      const checkpoints = new Set([1, 2, 3, 4, 5]);
      for (const id of order) {
        checkpoints.delete(id);
        const referenced = referencedSharedFiles([...checkpoints].map((c) => metadata(c, live[c]!)));
        for (const key of sharedFilesToDelete([...stored], referenced, {
          lastCompletedId: 5,
          inProgressId: 6,
        }))
          stored.delete(key);
        for (const c of checkpoints) for (const key of live[c]!) expect(stored.has(key)).toBe(true);
      }
      // Only checkpoint 5 is left: exactly its files remain.
      expect([...stored].sort()).toEqual([...live[5]!].sort());
    },
  );
});

describe('sharedFilesProblem', () => {
  const root = 'p/shared/';
  const m = metadata(4, [k(2, 'a.sst'), k(4, 'b.sst')]);

  it('accepts a checkpoint whose shared files are all there with their sizes', () => {
    const sizes = new Map([
      [`${root}${k(2, 'a.sst')}`, 1],
      [`${root}${k(4, 'b.sst')}`, 1],
    ]);
    expect(sharedFilesProblem(m, sizes, root, 'bkt')).toBeUndefined();
  });

  it('names a missing or resized shared file and its subtask', () => {
    expect(sharedFilesProblem(m, new Map([[`${root}${k(2, 'a.sst')}`, 1]]), root, 'bkt')).toBe(
      `shared state file s3://bkt/${root}${k(4, 'b.sst')} of subtask 0 does not exist`,
    );
    const resized = new Map([
      [`${root}${k(2, 'a.sst')}`, 7],
      [`${root}${k(4, 'b.sst')}`, 1],
    ]);
    expect(sharedFilesProblem(m, resized, root, 'bkt')).toBe(
      `shared state file s3://bkt/${root}${k(2, 'a.sst')} of subtask 0 is 7 bytes, _metadata lists 1`,
    );
  });
});
