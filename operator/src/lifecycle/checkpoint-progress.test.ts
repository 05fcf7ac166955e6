import type { StreamJobSpec, StreamJobStatus } from '@sluice/api/streamjob.ts';
import { defaultSpec, makeJob } from '../../../test/harness/operator-fixtures.ts';
import { judgeCheckpointProgress } from './checkpoint-progress.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const restartPolicy = { ...defaultSpec().restartPolicy, checkpointProgressTimeoutSeconds: 120 };
const ready = (s: number, status: 'True' | 'False' = 'True') => ({
  type: 'Ready',
  status,
  reason: status === 'True' ? 'WorkersReady' : 'WorkersNotReady',
  message: '',
  lastTransitionTime: iso(s),
});
const running = (extra: StreamJobStatus = {}): StreamJobStatus => ({
  phase: 'Running',
  attempt: 3,
  conditions: [ready(0)],
  ...extra,
});
const judge = (status: StreamJobStatus, nowS: number, spec: Partial<StreamJobSpec> = { restartPolicy }) =>
  judgeCheckpointProgress(makeJob(spec, status), T0 + nowS * 1000);

describe('judgeCheckpointProgress', () => {
  it('is off without spec.restartPolicy.checkpointProgressTimeoutSeconds', () => {
    expect(judge(running(), 10_000, { restartPolicy: defaultSpec().restartPolicy })).toEqual({
      action: 'none',
    });
  });

  it('counts the window from when the job became Ready, and restarts once it passed', () => {
    expect(judge(running(), 100)).toEqual({ action: 'wait', requeueAfterMs: 20_000 });
    const r = judge(running(), 121);
    expect(r).toMatchObject({ action: 'restart', stalledAt: T0 + 120_000 });
    expect((r as { message: string }).message).toBe(
      'no checkpoint or savepoint completed within spec.restartPolicy.checkpointProgressTimeoutSeconds=120s while attempt 3 ran (no checkpoint completed in this job yet)',
    );
  });

  it('counts from the latest completed checkpoint or savepoint', () => {
    const st = running({
      checkpoints: { lastCompleted: { id: 7, path: 'p/chk-7', completedAt: iso(50) } },
      savepoints: { last: { id: 8, path: 'p/sp-8-x', completedAt: iso(90) } },
    });
    expect(judge(st, 200)).toEqual({ action: 'wait', requeueAfterMs: 10_000 });
    const r = judge(st, 210);
    expect(r).toMatchObject({ action: 'restart', stalledAt: T0 + 210_000 });
    expect((r as { message: string }).message).toContain(`the last completed checkpoint is 7 at ${iso(50)}`);
    // A completion before the job became Ready does not shorten the window.
    const old = running({
      conditions: [ready(100)],
      checkpoints: { lastCompleted: { id: 7, path: 'p/chk-7', completedAt: iso(50) } },
    });
    expect(judge(old, 200)).toEqual({ action: 'wait', requeueAfterMs: 20_000 });
  });

  it('does not judge a job that is not running, not ready, suspended or stopping with a savepoint', () => {
    expect(judge(running({ phase: 'Restarting' }), 1000)).toEqual({ action: 'none' });
    expect(judge(running({ conditions: [ready(0, 'False')] }), 1000)).toEqual({ action: 'none' });
    expect(
      judgeCheckpointProgress(makeJob({ restartPolicy, state: 'suspended' }, running()), T0 + 1e6),
    ).toEqual({ action: 'none' });
    for (const stage of ['Savepointing', 'SavepointTaken'] as const) {
      const st = running({
        upgrade: { targetSpecHash: 'h', stage, attemptParallelism: 2, startedAt: iso(0) },
      });
      expect(judge(st, 1000)).toEqual({ action: 'none' });
    }
  });
});
