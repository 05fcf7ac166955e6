import { ownPart, parsePartName, partName } from './two-phase-sink.ts';

describe('part file names', () => {
  const uid = '0c3e5a6e-7a26-4a5f-9d3e-3f1c2f6a9b10';

  it('carry the job uid, attempt, subtask, run and sequence', () => {
    const name = partName(uid, 3, 1, 'a1b2c3', 7, 'jsonl');
    expect(name).toBe(`part-${uid}-a3-s1-a1b2c3-000007.jsonl`);
    expect(parsePartName(name)).toEqual({ jobUid: uid, attempt: 3 });
  });

  it('parse job names that look like the fields after them (local mode uses the name as uid)', () => {
    expect(parsePartName(partName('x-a1-s2', 12, 0, 'ffffff', 0, 'txt'))).toEqual({
      jobUid: 'x-a1-s2',
      attempt: 12,
    });
  });

  it('do not parse part files of other writers or of the format without a uid', () => {
    expect(parsePartName('part-a0-s1-a1b2c3-000001.jsonl')).toBeUndefined();
    expect(parsePartName('report.csv')).toBeUndefined();
  });
});

describe('ownPart', () => {
  it("is this job's part files and legacy names without a uid, never another job's", () => {
    const name = (uid: string) => partName(uid, 1, 0, 'abc123', 0, 'jsonl');
    expect(ownPart(name('uid-a'), 'uid-a')).toBe(true);
    expect(ownPart(name('uid-b'), 'uid-a')).toBe(false);
    expect(ownPart('part-0-000001.jsonl', 'uid-a')).toBe(true);
  });
});
