import type { StreamJobStatus } from '@sluice/api/streamjob.ts';
import {
  judgeRestoreFallback,
  replaysCommittedOutput,
  storageDidNotAnswer,
  type SkippedSource,
} from './restore-fallback.ts';

const P = 'sluice/ns/wc/uid';
const chk = (id: number) => ({ kind: 'checkpoint' as const, id, path: `${P}/checkpoints/chk-${id}` });
const at = '2026-12-05T10:00:00Z';
const status = (lastCompleted?: number, savepoint?: number): StreamJobStatus => ({
  checkpoints: lastCompleted
    ? { lastCompleted: { id: lastCompleted, path: chk(lastCompleted).path, completedAt: at } }
    : {},
  ...(savepoint
    ? { savepoints: { last: { id: savepoint, path: `${P}/savepoints/sp-${savepoint}-n`, completedAt: at } } }
    : {}),
});
const unreadable = (id: number): SkippedSource => ({
  source: chk(id),
  problem: `s3://b/${chk(id).path}/_metadata is not valid JSON`,
});

describe('replaysCommittedOutput', () => {
  it('is false while nothing is committed', () => {
    expect(replaysCommittedOutput(status(), chk(3))).toBe(false);
    expect(replaysCommittedOutput(undefined, { kind: 'savepoint', path: 'x/sp-1-a' })).toBe(false);
  });

  it('is true only for snapshots older than the newest committed one (checkpoint or savepoint)', () => {
    expect(replaysCommittedOutput(status(5), chk(5))).toBe(false);
    expect(replaysCommittedOutput(status(5), chk(6))).toBe(false);
    expect(replaysCommittedOutput(status(5), chk(4))).toBe(true);
    // A savepoint after the last checkpoint committed its transactions too.
    expect(replaysCommittedOutput(status(5, 7), chk(5))).toBe(true);
  });

  it('counts a source without an id (an initial savepoint of another job) as older', () => {
    expect(replaysCommittedOutput(status(2), { kind: 'savepoint', path: 'other/sp-9-x' })).toBe(true);
  });
});

describe('judgeRestoreFallback', () => {
  it('refuses a fallback past committed output by default, naming both snapshots and the opt-in', () => {
    const v = judgeRestoreFallback({
      status: status(5),
      chosen: chk(4),
      skipped: [unreadable(5)],
      allowReplayedOutput: false,
    });
    expect(v.action).toBe('refuse');
    const m = (v as { message: string }).message;
    expect(m).toContain(
      `checkpoint 5 (${P}/checkpoints/chk-5) cannot be restored: s3://b/${P}/checkpoints/chk-5/_metadata is not valid JSON`,
    );
    expect(m).toContain(`The older checkpoint 4 (${P}/checkpoints/chk-4) is readable`);
    expect(m).toContain('publish their output twice');
    expect(m).toContain('spec.recovery.allowReplayedOutput: true');
  });

  it('allows it with spec.recovery.allowReplayedOutput, saying that output is replayed', () => {
    expect(
      judgeRestoreFallback({
        status: status(5),
        chosen: chk(4),
        skipped: [unreadable(5)],
        allowReplayedOutput: true,
      }),
    ).toEqual({ action: 'restore', replaysOutput: true });
  });

  it('allows a fallback that replays nothing committed (a newer stored checkpoint, or nothing committed)', () => {
    // _metadata of chk-6 written but the operator crashed before status: 6 is newer than committed 5.
    expect(
      judgeRestoreFallback({
        status: status(5),
        chosen: chk(6),
        skipped: [unreadable(7)],
        allowReplayedOutput: false,
      }),
    ).toEqual({ action: 'restore', replaysOutput: false });
    expect(
      judgeRestoreFallback({
        status: status(),
        chosen: { kind: 'savepoint', path: 'init/sp-1-a' },
        skipped: [unreadable(2)],
        allowReplayedOutput: false,
      }),
    ).toEqual({ action: 'restore', replaysOutput: false });
  });

  it('summarizes many unreadable snapshots with a count and stays bounded', () => {
    const skipped = [9, 8, 7, 6, 5].map((id) => ({ ...unreadable(id), problem: 'x'.repeat(5000) }));
    const v = judgeRestoreFallback({
      status: status(9),
      chosen: chk(4),
      skipped,
      allowReplayedOutput: false,
    });
    const m = (v as { message: string }).message;
    expect(m).toMatch(/^5 snapshots cannot be restored: checkpoint 9 /);
    expect(m).toContain('… and 2 more');
    expect(Buffer.byteLength(m)).toBeLessThan(4000);
  });
});

describe('storageDidNotAnswer', () => {
  it('tells storage failures from missing or invalid _metadata', () => {
    const wrap = (cause?: unknown) => new Error('x', cause === undefined ? {} : { cause });
    expect(storageDidNotAnswer(wrap(Object.assign(new Error('gone'), { code: 'NoSuchKey' })))).toBe(false);
    expect(storageDidNotAnswer(wrap(Object.assign(new Error('gone'), { code: 'NotFound' })))).toBe(false);
    expect(storageDidNotAnswer(wrap(new SyntaxError('Unexpected end of JSON input')))).toBe(false);
    expect(storageDidNotAnswer(wrap())).toBe(false);
    expect(storageDidNotAnswer(wrap(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })))).toBe(
      true,
    );
    expect(storageDidNotAnswer(wrap(Object.assign(new Error('slow'), { code: 'SlowDown' })))).toBe(true);
    expect(
      storageDidNotAnswer(wrap(new Error('GET s3://b/k on http://x abandoned: no answer within 10000 ms'))),
    ).toBe(true);
  });
});
