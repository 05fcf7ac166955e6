import type { CheckpointAck } from '@sluice/api/protocol.ts';
import {
  decide,
  initialDelayFraction,
  nextSnapshotId,
  periodicCheckpointDue,
  type CoordinatorObservation,
} from './trigger-policy.ts';
import { rfc3339 } from '../streamjob/conditions.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function obs(over: Partial<CoordinatorObservation> = {}): CoordinatorObservation {
  return {
    now: T0,
    checkpoint: { intervalSeconds: 30, timeoutSeconds: 60, retained: 3 },
    savepoint: { timeoutSeconds: 120, historyLimit: 10 },
    checkpoints: undefined,
    parallelism: 2,
    workersReady: true,
    scheduleStart: T0 - 40_000,
    acks: [],
    ...over,
  };
}

const ack = (id: number, subtask: number, extra: Partial<CheckpointAck> = {}): CheckpointAck => ({
  id,
  subtask,
  bytes: 100,
  files: [{ key: `subtask-${subtask}.snap`, bytes: 100, sha256: '0'.repeat(64) }],
  ...extra,
});

describe('nextSnapshotId', () => {
  it('starts at 1 and passes every id handed out', () => {
    expect(nextSnapshotId(undefined)).toBe(1);
    expect(nextSnapshotId({ lastTriggered: { id: 4 }, lastCompleted: { id: 3, path: 'p' } })).toBe(5);
    expect(nextSnapshotId({ inProgress: { id: 9 }, lastTriggered: { id: 8 } })).toBe(10);
  });
});

describe('decide with nothing in progress', () => {
  it('triggers the periodic checkpoint once the interval has passed since the schedule start', () => {
    expect(decide(obs({ scheduleStart: T0 - 30_000 }))).toEqual({
      action: 'trigger',
      id: 1,
      kind: 'checkpoint',
      nonce: undefined,
      stop: false,
    });
  });

  it('waits for the rest of the interval, counted from the later of last trigger and schedule start', () => {
    const d = decide(
      obs({
        scheduleStart: T0 - 100_000,
        checkpoints: { lastTriggered: { id: 7, triggeredAt: iso(T0 - 10_000) } },
      }),
    );
    expect(d).toEqual({ action: 'wait', requeueAfterMs: 20_000 });
  });

  it('does not trigger while a worker is not ready', () => {
    expect(decide(obs({ workersReady: false, savepointRequest: 'n1' }))).toEqual({
      action: 'wait',
      requeueAfterMs: undefined,
    });
  });

  it('orders stop-with-savepoint before user savepoints before user checkpoints before the schedule', () => {
    const base = obs({ savepointRequest: 's1', checkpointRequest: 'c1' });
    expect(decide({ ...base, stopWithSavepoint: true })).toMatchObject({ kind: 'savepoint', stop: true });
    expect(decide(base)).toMatchObject({ kind: 'savepoint', nonce: 's1', stop: false });
    expect(decide({ ...base, savepointRequest: undefined })).toMatchObject({
      kind: 'checkpoint',
      nonce: 'c1',
    });
  });

  it('serves a user request immediately even when the periodic one is not due', () => {
    const d = decide(obs({ scheduleStart: T0, checkpointRequest: 'now-please' }));
    expect(d).toMatchObject({ action: 'trigger', kind: 'checkpoint', nonce: 'now-please' });
  });
});

describe('decide with a snapshot in progress', () => {
  const inProgress = (kind: 'checkpoint' | 'savepoint' = 'checkpoint') => ({
    inProgress: { id: 5, kind, path: 'p/chk-5', triggeredAt: iso(T0 - 5_000) },
    lastTriggered: { id: 5 },
  });

  it('completes when every subtask acked this id, with acks in subtask order', () => {
    const d = decide(obs({ checkpoints: inProgress(), acks: [ack(5, 1), ack(4, 0), ack(5, 0)] }));
    expect(d).toEqual({ action: 'complete', id: 5, acks: [ack(5, 0), ack(5, 1)] });
  });

  it('ignores acks of older ids and waits until the timeout deadline', () => {
    const d = decide(obs({ checkpoints: inProgress(), acks: [ack(4, 0), ack(5, 1)] }));
    expect(d).toEqual({ action: 'wait', requeueAfterMs: 55_000 });
  });

  it('aborts on a worker error ack, naming the subtask and its error', () => {
    const d = decide(
      obs({ checkpoints: inProgress(), acks: [ack(5, 0), ack(5, 1, { error: 'S3 PUT failed: 503' })] }),
    );
    expect(d).toEqual({
      action: 'abort',
      id: 5,
      reason: 'WorkerFailed',
      message: 'subtask 1 could not take checkpoint 5: S3 PUT failed: 503',
    });
  });

  it('aborts after the timeout of its kind, naming the silent subtasks', () => {
    const late = obs({ now: T0 + 56_000, checkpoints: inProgress(), acks: [ack(5, 1)] });
    expect(decide(late)).toEqual({
      action: 'abort',
      id: 5,
      reason: 'Timeout',
      message: 'checkpoint 5 did not complete within 60s; no ack from subtask(s) 0',
    });
    expect(decide({ ...late, checkpoints: inProgress('savepoint') })).toMatchObject({ action: 'wait' });
  });

  it('never triggers another snapshot while one is in progress', () => {
    const d = decide(obs({ checkpoints: inProgress(), savepointRequest: 'x', stopWithSavepoint: true }));
    expect(d.action).toBe('wait');
  });
});

describe('the first periodic checkpoint of an attempt', () => {
  it('is due after initialDelayFraction of the interval from the schedule start', () => {
    const o = { scheduleStart: T0 - 20_000, initialDelayFraction: 0.75 };
    // 0.75 × 30 s = 22.5 s after the start, on whole seconds 23 s: 3 s to go.
    expect(decide(obs(o))).toEqual({ action: 'wait', requeueAfterMs: 3000 });
    expect(decide(obs({ ...o, now: T0 + 2500 })).action).toBe('wait');
    expect(decide(obs({ ...o, now: T0 + 3000 })).action).toBe('trigger');
  });

  it('ignores a trigger of the previous attempt, and later ones follow the full interval', () => {
    const previous = { lastTriggered: { id: 3, triggeredAt: iso(T0 - 25_000) } };
    const o = { scheduleStart: T0 - 20_000, initialDelayFraction: 0.5, checkpoints: previous };
    expect(decide(obs(o)).action).toBe('trigger');
    const next = { lastTriggered: { id: 4, triggeredAt: iso(T0 - 5000) } };
    expect(decide(obs({ ...o, checkpoints: next }))).toEqual({ action: 'wait', requeueAfterMs: 25_000 });
  });
});

describe('the fixed-rate periodic schedule', () => {
  // 30 s interval, schedule start T0 - 100 s, first checkpoint after the full interval:
  // the schedule's points are T0 - 70 s, T0 - 40 s, T0 - 10 s, T0 + 20 s, ...
  const o = { scheduleStart: T0 - 100_000, initialDelayFraction: 1 };
  const triggeredAt = (ms: number) => ({ lastTriggered: { id: 7, triggeredAt: iso(ms) } });

  it('keeps the next checkpoint on its point when the last trigger ran late', () => {
    // Due at T0 - 10 s, triggered 6 s late: the next is still due at T0 + 20 s, not T0 + 26 s.
    expect(decide(obs({ ...o, checkpoints: triggeredAt(T0 - 4_000) }))).toEqual({
      action: 'wait',
      requeueAfterMs: 20_000,
    });
    expect(decide(obs({ ...o, now: T0 + 20_000, checkpoints: triggeredAt(T0 - 4_000) })).action).toBe(
      'trigger',
    );
  });

  it('triggers once, not once per missed point, after a schedule fell behind', () => {
    // Last triggered at T0 - 69 s; the points T0 - 40 s and T0 - 10 s passed meanwhile.
    expect(decide(obs({ ...o, checkpoints: triggeredAt(T0 - 69_000) })).action).toBe('trigger');
    // That trigger (at T0) is followed by the next point, T0 + 20 s.
    expect(periodicCheckpointDue(obs(o), T0)).toBe(T0 + 20_000);
  });

  it('is not moved by a user checkpoint before the first point or by a trigger of an earlier attempt', () => {
    expect(periodicCheckpointDue(obs(o), T0 - 80_000)).toBe(T0 - 70_000);
    expect(periodicCheckpointDue(obs(o), T0 - 200_000)).toBe(T0 - 70_000);
    expect(periodicCheckpointDue(obs(o), 0)).toBe(T0 - 70_000);
  });

  it('follows a trigger exactly on a point with the next point', () => {
    expect(periodicCheckpointDue(obs(o), T0 - 40_000)).toBe(T0 - 10_000);
  });

  it('puts its points on whole seconds, so a trigger on time, recorded in whole seconds, is not repeated', () => {
    // Initial delay 0.7123 × 30 s = 21.369 s, rounded to 21 s: points T0 - 79 s, T0 - 49 s, ...
    const frac = { scheduleStart: T0 - 100_000, initialDelayFraction: 0.7123 };
    expect(periodicCheckpointDue(obs(frac), 0)).toBe(T0 - 79_000);
    // Triggered 300 ms after the point T0 - 49 s; the status records T0 - 49 s.
    const recorded = { lastTriggered: { id: 7, triggeredAt: rfc3339(T0 - 49_000 + 300) } };
    expect(decide(obs({ ...frac, now: T0 - 49_000 + 400, checkpoints: recorded }))).toEqual({
      action: 'wait',
      requeueAfterMs: 30_000 - 400,
    });
    // A schedule start with a fraction of a second (no attemptStartedAt yet) keeps whole seconds too.
    expect(periodicCheckpointDue(obs({ ...frac, scheduleStart: T0 - 100_000 + 600 }), 0)).toBe(T0 - 79_000);
  });
});

describe('initialDelayFraction', () => {
  it('is fixed per job and attempt, in [0.5, 1), and spreads jobs over that range', () => {
    expect(initialDelayFraction('uid-a', 1)).toBe(initialDelayFraction('uid-a', 1));
    const fs = Array.from({ length: 200 }, (_, i) => initialDelayFraction(`uid-${i}`, 1));
    expect(Math.min(...fs)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...fs)).toBeLessThan(1);
    // Ten buckets of 0.05 each hold some of 200 jobs.
    const buckets = new Set(fs.map((f) => Math.floor((f - 0.5) * 20)));
    expect(buckets.size).toBe(10);
  });
});

describe('periodic savepoints', () => {
  const recent = { lastTriggered: { id: 4, triggeredAt: iso(T0 - 1000) } };

  it('triggers a periodic savepoint once due, after user requests, before the periodic checkpoint', () => {
    const due = obs({ checkpoints: { lastTriggered: { id: 4, triggeredAt: iso(T0 - 60_000) } } });
    expect(decide({ ...due, periodicSavepointDue: T0 })).toEqual({
      action: 'trigger',
      id: 5,
      kind: 'savepoint',
      nonce: '_periodic',
      stop: false,
    });
    expect(decide({ ...due, periodicSavepointDue: T0, checkpointRequest: 'c1' })).toMatchObject({
      kind: 'checkpoint',
      nonce: 'c1',
    });
    expect(decide({ ...due, periodicSavepointDue: T0 + 1 })).toMatchObject({
      kind: 'checkpoint',
      nonce: undefined,
    });
  });

  it('waits for whichever of the periodic savepoint and checkpoint comes first', () => {
    expect(decide(obs({ checkpoints: recent, periodicSavepointDue: T0 + 5000 }))).toEqual({
      action: 'wait',
      requeueAfterMs: 5000,
    });
    // The checkpoint schedule's points: T0 - 10 s (start T0 - 40 s + 30 s), then T0 + 20 s.
    expect(decide(obs({ checkpoints: recent }))).toEqual({ action: 'wait', requeueAfterMs: 20_000 });
  });
});
