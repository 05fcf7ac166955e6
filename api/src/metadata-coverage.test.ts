import { metadataCoverageProblem } from './metadata-coverage.ts';
import { METADATA_FORMAT_VERSION, type SnapshotMetadata } from './metadata.ts';
import type { KeyGroupSpan } from './protocol.ts';

const SRC = 's3://b/p/chk-3/_metadata';

function metadata(maxParallelism: number, ranges: KeyGroupSpan[]): SnapshotMetadata {
  return {
    formatVersion: METADATA_FORMAT_VERSION,
    id: 3,
    kind: 'checkpoint',
    job: { namespace: 'ns', name: 'wc', uid: 'u' },
    maxParallelism,
    parallelism: ranges.length,
    attempt: 1,
    workers: ranges.map((r, i) => ({
      id: 3,
      subtask: i,
      bytes: 5,
      files: [{ key: `state-${i}.snap`, bytes: 5, sha256: '0'.repeat(64) }],
      keyGroupRange: r,
    })),
    bytes: 5 * ranges.length,
    triggeredAt: 't',
    completedAt: 't',
  };
}

describe('metadataCoverageProblem', () => {
  it('accepts ranges that cover every key group exactly once, empty ranges included', () => {
    expect(
      metadataCoverageProblem(
        metadata(128, [
          { start: 0, end: 63 },
          { start: 64, end: 127 },
        ]),
        SRC,
      ),
    ).toBeUndefined();
    expect(
      metadataCoverageProblem(
        metadata(2, [
          { start: 0, end: 0 },
          { start: 1, end: 0 },
          { start: 1, end: 1 },
        ]),
        SRC,
      ),
    ).toBeUndefined();
  });

  it('names the first key group no subtask covers', () => {
    expect(
      metadataCoverageProblem(
        metadata(128, [
          { start: 0, end: 63 },
          { start: 65, end: 127 },
        ]),
        SRC,
      ),
    ).toBe(`${SRC}: key group 64 is covered by no subtask`);
  });

  it('names a key group two subtasks claim', () => {
    expect(
      metadataCoverageProblem(
        metadata(128, [
          { start: 0, end: 64 },
          { start: 64, end: 127 },
        ]),
        SRC,
      ),
    ).toBe(`${SRC}: key group 64 is claimed by subtasks 0 and 1`);
  });

  it('refuses ranges outside 0..maxParallelism-1 and a missing range', () => {
    expect(
      metadataCoverageProblem(
        metadata(4, [
          { start: 0, end: 1 },
          { start: 2, end: 4 },
        ]),
        SRC,
      ),
    ).toBe(`${SRC}: subtask 1's key groups 2..4 are outside 0..3`);
    const m = metadata(4, [{ start: 0, end: 3 }]);
    delete m.workers[0]!.keyGroupRange;
    expect(metadataCoverageProblem(m, SRC)).toBe(`${SRC}: subtask 0 lists no key-group range`);
  });

  it('refuses acks out of subtask order (a subtask missing or listed twice)', () => {
    const m = metadata(4, [
      { start: 0, end: 1 },
      { start: 2, end: 3 },
    ]);
    m.workers[1]!.subtask = 0;
    expect(metadataCoverageProblem(m, SRC)).toBe(`${SRC}: entry 1 of workers is subtask 0, expected 1`);
  });

  it('refuses a subtask without files, a file name with a path, a bad size or hash', () => {
    const base = () =>
      metadata(4, [
        { start: 0, end: 1 },
        { start: 2, end: 3 },
      ]);
    let m = base();
    m.workers[1]!.files = [];
    expect(metadataCoverageProblem(m, SRC)).toBe(`${SRC}: subtask 1 lists no state file`);
    m = base();
    m.workers[0]!.files[0]!.key = '../other/state-0.snap';
    expect(metadataCoverageProblem(m, SRC)).toBe(
      `${SRC}: subtask 0 lists a state file named "../other/state-0.snap", not a plain file name`,
    );
    m = base();
    m.workers[0]!.files[0]!.bytes = -1;
    expect(metadataCoverageProblem(m, SRC)).toBe(
      `${SRC}: subtask 0's state file state-0.snap has no valid size`,
    );
    m = base();
    m.workers[1]!.files[0]!.sha256 = 'XYZ';
    expect(metadataCoverageProblem(m, SRC)).toBe(
      `${SRC}: subtask 1's state file state-1.snap has no valid sha256`,
    );
  });
});
