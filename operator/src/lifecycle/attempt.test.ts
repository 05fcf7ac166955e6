import { STORAGE, makeJob } from '../../../test/harness/operator-fixtures.ts';
import { chooseRestoreSource, decideAttempt, startedAttemptStatus } from './attempt.ts';
import { parseS3Url } from '../s3/s3-url.ts';

describe('decideAttempt', () => {
  const running = { attempt: 3, attemptSpecHash: 'h1', phase: 'Running' as const };

  it('starts attempt 1 for a new job and nothing while suspended', () => {
    expect(decideAttempt(makeJob(), 'h1', false)).toEqual({ start: true, attempt: 1, reason: 'Created' });
    expect(decideAttempt(makeJob({ state: 'suspended' }), 'h1', false)).toEqual({ start: false });
    expect(decideAttempt(makeJob({ state: 'suspended' }, running), 'h2', true)).toEqual({ start: false });
  });

  it('keeps a matching attempt', () => {
    expect(decideAttempt(makeJob({}, running), 'h1', false)).toEqual({ start: false });
  });

  it('starts the next attempt on resume, spec change or restart request, in that precedence', () => {
    expect(decideAttempt(makeJob({}, { ...running, phase: 'Suspended' }), 'h2', true)).toEqual({
      start: true,
      attempt: 4,
      reason: 'Resumed',
    });
    expect(decideAttempt(makeJob({}, running), 'h2', true)).toEqual({
      start: true,
      attempt: 4,
      reason: 'SpecChanged',
    });
    expect(decideAttempt(makeJob({}, running), 'h1', true)).toEqual({
      start: true,
      attempt: 4,
      reason: 'RestartRequested',
    });
  });
});

describe('chooseRestoreSource', () => {
  it('starts fresh without any snapshot', () => {
    expect(chooseRestoreSource(makeJob(), STORAGE, 'Created')).toEqual({ ok: true, restoredFrom: undefined });
  });

  it('restores the latest completed snapshot, checkpoint or savepoint by id', () => {
    const status = {
      checkpoints: { lastCompleted: { id: 7, path: 'p/checkpoints/chk-7' } },
      savepoints: { last: { id: 5, path: 'p/savepoints/sp-5-x' } },
    };
    expect(chooseRestoreSource(makeJob({}, status), STORAGE, 'RestartRequested')).toEqual({
      ok: true,
      restoredFrom: { kind: 'checkpoint', id: 7, path: 'p/checkpoints/chk-7' },
    });
    const newer = { ...status, savepoints: { last: { id: 8, path: 'p/savepoints/sp-8-x' } } };
    expect(chooseRestoreSource(makeJob({}, newer), STORAGE, 'Resumed')).toEqual({
      ok: true,
      restoredFrom: { kind: 'savepoint', id: 8, path: 'p/savepoints/sp-8-x' },
    });
  });

  it('keeps the previous restore source while no newer snapshot exists', () => {
    const status = { restoredFrom: { kind: 'savepoint' as const, path: 'p/savepoints/sp-1-a' } };
    expect(
      chooseRestoreSource(
        makeJob({ initialSavepoint: 's3://sluice/other' }, status),
        STORAGE,
        'RestartRequested',
      ),
    ).toEqual({
      ok: true,
      restoredFrom: status.restoredFrom,
    });
  });

  it('starts from spec.initialSavepoint in the job bucket, and refuses one elsewhere', () => {
    expect(
      chooseRestoreSource(
        makeJob({ initialSavepoint: 's3://sluice/prod/ns/old/u/savepoints/sp-3-n/' }),
        STORAGE,
        'Created',
      ),
    ).toEqual({
      ok: true,
      restoredFrom: { kind: 'savepoint', path: 'prod/ns/old/u/savepoints/sp-3-n' },
    });
    const other = chooseRestoreSource(
      makeJob({ initialSavepoint: 's3://archive/sp-3-n' }),
      STORAGE,
      'Created',
    );
    expect(other).toEqual({
      ok: false,
      message:
        "spec.initialSavepoint is in bucket archive but the job's storage bucket is sluice; workers read one bucket: copy the savepoint or set spec.storage.bucket",
    });
  });

  it('starts a stateless upgrade fresh even when snapshots exist', () => {
    const job = makeJob(
      { upgradeMode: 'stateless' },
      { checkpoints: { lastCompleted: { id: 7, path: 'p' } } },
    );
    expect(chooseRestoreSource(job, STORAGE, 'SpecChanged')).toEqual({ ok: true, restoredFrom: undefined });
    expect(chooseRestoreSource(job, STORAGE, 'RestartRequested')).toMatchObject({ restoredFrom: { id: 7 } });
  });

  it('parses s3 URLs', () => {
    expect(parseS3Url('s3://b/a/b/')).toEqual({ bucket: 'b', key: 'a/b' });
    expect(parseS3Url('s3://b')).toEqual({ bucket: 'b', key: '' });
    expect(parseS3Url('http://b/x')).toBeUndefined();
  });
});

describe('startedAttemptStatus', () => {
  it('starts the attempt: no worker ready, Progressing AttemptStarted, Ready=False, earlier fields kept', () => {
    const now = Date.parse('2026-12-06T01:00:00Z');
    const restoredFrom = { id: 7, kind: 'checkpoint' as const, path: 'p/chk-7' };
    const s = startedAttemptStatus(
      {
        attempt: 2,
        phase: 'Running',
        restarts: 1,
        workers: { ready: 2, total: 2 },
        conditions: [
          { type: 'Ready', status: 'True', reason: 'WorkersReady', message: '2/2', lastTransitionTime: 'x' },
        ],
      },
      {
        attempt: 3,
        reason: 'WorkerFailed',
        restoredFrom,
        parallelism: 3,
        phase: 'Restarting',
        message: 'worker 1 failed: starting attempt 3',
        now,
        generation: 4,
      },
    );
    expect(s).toMatchObject({
      attempt: 3,
      attemptStartedAt: '2026-12-06T01:00:00Z',
      attemptReason: 'WorkerFailed',
      restoredFrom,
      phase: 'Restarting',
      restarts: 1,
      workers: { ready: 0, total: 3 },
    });
    const cond = (t: string) => s.conditions!.find((c) => c.type === t);
    expect(cond('Progressing')).toMatchObject({
      status: 'True',
      reason: 'AttemptStarted',
      message: 'worker 1 failed: starting attempt 3',
      observedGeneration: 4,
    });
    expect(cond('Ready')).toMatchObject({
      status: 'False',
      reason: 'WorkersNotReady',
      message: 'attempt 3 is starting',
    });
  });
});
