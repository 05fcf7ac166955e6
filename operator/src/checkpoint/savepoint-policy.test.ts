import type { CompletedSavepoint, StreamJobStatus } from '@sluice/api/streamjob.ts';
import { defaultSpec, makeJob, STORAGE } from '../../../test/harness/operator-fixtures.ts';
import { durationMs, isRequestNonce, periodicSavepointDue, savepointsToDispose } from './savepoint-policy.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const sp = (id: number, atS: number): CompletedSavepoint => ({
  id,
  path: `${STORAGE.jobPrefix}/savepoints/sp-${id}-_periodic`,
  completedAt: iso(atS),
  nonce: '_periodic',
});
/** status with savepoints `ids` (completed at -100·(n−i) s), the newest being savepoints.last. */
function withHistory(list: CompletedSavepoint[], extra: StreamJobStatus = {}): StreamJobStatus {
  const history = [...list].sort((a, b) => b.id - a.id);
  return { savepoints: { last: history[0], history }, ...extra };
}
const savepoint = (over: object) => ({ ...defaultSpec().savepoint, ...over });

describe('durationMs', () => {
  it('reads s, m, h and d', () => {
    expect(['90s', '30m', '12h', '7d'].map(durationMs)).toEqual([90_000, 1_800_000, 43_200_000, 604_800_000]);
  });
  it('rejects anything else', () => {
    for (const bad of ['', '0s', '5', '1w', '1h30m', '-1s'])
      expect(() => durationMs(bad)).toThrow(RangeError);
  });
});

describe('isRequestNonce', () => {
  it('is true for user nonces only', () => {
    expect([undefined, '_periodic', 'r-1', '7'].map(isRequestNonce)).toEqual([false, false, true, true]);
  });
});

describe('periodicSavepointDue', () => {
  it('is off without spec.savepoint.periodicSeconds', () => {
    expect(periodicSavepointDue(makeJob())).toBeUndefined();
  });

  it('is the period after the latest of creation, last periodic trigger and last completed savepoint', () => {
    const job = makeJob({ savepoint: savepoint({ periodicSeconds: 60 }) });
    job.metadata!.creationTimestamp = new Date(T0);
    expect(periodicSavepointDue(job)).toBe(T0 + 60_000);
    job.status = { savepoints: { lastPeriodicTriggeredAt: iso(100) } };
    expect(periodicSavepointDue(job)).toBe(T0 + 160_000);
    // A failed periodic savepoint still restarts the period (no retry storm); a completed one too.
    job.status = { savepoints: { lastPeriodicTriggeredAt: iso(100), last: sp(9, 130) } };
    expect(periodicSavepointDue(job)).toBe(T0 + 190_000);
  });
});

describe('savepointsToDispose', () => {
  const now = T0 + 1000 * 1000;

  it('disposes of nothing without spec.savepoint.retention', () => {
    const job = makeJob({}, withHistory([sp(1, 0), sp(2, 10), sp(3, 20)]));
    expect(savepointsToDispose(job, STORAGE.jobPrefix, now)).toEqual([]);
  });

  it('keeps the newest maxCount, oldest disposed first', () => {
    const job = makeJob(
      { savepoint: savepoint({ retention: { maxCount: 2 } }) },
      withHistory([sp(1, 0), sp(4, 10), sp(6, 20), sp(9, 30)]),
    );
    expect(savepointsToDispose(job, STORAGE.jobPrefix, now)).toEqual([
      { id: 1, path: sp(1, 0).path, why: 'beyond the newest 2' },
      { id: 4, path: sp(4, 0).path, why: 'beyond the newest 2' },
    ]);
  });

  it('disposes of savepoints older than maxAge but always keeps the last one', () => {
    const job = makeJob(
      { savepoint: savepoint({ retention: { maxAge: '15m' } }) },
      withHistory([sp(1, 0), sp(2, 500), sp(3, 600)]),
    );
    // At T0 + 1000 s savepoint 1 is 1000 s old, 2 is 500 s, 3 is 400 s; 15 min = 900 s.
    expect(savepointsToDispose(job, STORAGE.jobPrefix, now).map((d) => d.id)).toEqual([1]);
    // Everything is old, but the last savepoint stays.
    expect(savepointsToDispose(job, STORAGE.jobPrefix, now + 3_600_000).map((d) => d.id)).toEqual([1, 2]);
  });

  it('never disposes of what a restore or rollback may need, nor another job’s savepoints', () => {
    const foreign = { id: 2, path: 'other/ns/x/u/savepoints/sp-2-a', completedAt: iso(0) };
    const job = makeJob(
      { savepoint: savepoint({ retention: { maxCount: 1 } }) },
      withHistory([sp(1, 0), foreign, sp(3, 20), sp(5, 30), sp(7, 40)], {
        restoredFrom: { kind: 'savepoint', id: 3, path: sp(3, 0).path },
        upgrade: {
          targetSpecHash: 'h2',
          stage: 'Verifying',
          attemptParallelism: 2,
          startedAt: iso(30),
          rollbackFrom: { kind: 'savepoint', id: 5, path: sp(5, 0).path },
        },
      }),
    );
    expect(savepointsToDispose(job, STORAGE.jobPrefix, now).map((d) => d.id)).toEqual([1]);
  });

  it('disposes of entries beyond historyLimit − 1 so a completion never drops an entry with data', () => {
    const job = makeJob(
      { savepoint: savepoint({ historyLimit: 3, retention: { maxAge: '7d' } }) },
      withHistory([sp(1, 0), sp(2, 10), sp(3, 20)]),
    );
    expect(savepointsToDispose(job, STORAGE.jobPrefix, now)).toEqual([
      { id: 1, path: sp(1, 0).path, why: 'beyond the newest 2' },
    ]);
  });
});
