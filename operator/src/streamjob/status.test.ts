import type { Condition, StreamJobStatus } from '@sluice/api/streamjob.ts';
import { JOB_UID, makeJob, makePod, type PodShape } from '../../../test/harness/operator-fixtures.ts';
import { nextStatus, statusEvents } from './status.ts';
import { observeWorkers } from './workers.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function obs(
  attempt: number,
  shapes: PodShape[],
  parallelism = shapes.length,
  extra = [] as ReturnType<typeof makePod>[],
) {
  const pods = [...shapes.map((s, i) => makePod(attempt, i, s)), ...extra];
  return observeWorkers(pods, JOB_UID, attempt, parallelism, 'h1', (i) => `wc-${attempt}-${i}`);
}

const cond = (s: StreamJobStatus, type: string): Condition | undefined =>
  s.conditions?.find((c) => c.type === type);
const attempt1: StreamJobStatus = {
  attempt: 1,
  attemptSpecHash: 'h1',
  attemptReason: 'Created',
  phase: 'Starting',
};

describe('nextStatus', () => {
  it('is Running and Ready when every worker of the attempt is ready', () => {
    const s = nextStatus({ job: makeJob({}, attempt1, 4), nowMs: NOW, workers: obs(1, ['ready', 'ready']) });
    expect(s).toMatchObject({ phase: 'Running', observedGeneration: 4, workers: { ready: 2, total: 2 } });
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'WorkersReady',
      message: '2/2 workers of attempt 1 are ready',
      observedGeneration: 4,
    });
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'Stable' });
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected', message: '' });
  });

  it('is Progressing while workers are missing or not ready', () => {
    const s = nextStatus({
      job: makeJob({ parallelism: 3 }, attempt1),
      nowMs: NOW,
      workers: obs(1, ['ready', 'pending'], 3),
    });
    expect(s).toMatchObject({ phase: 'Starting', workers: { ready: 1, total: 3 } });
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'WorkersNotReady',
      message: '1/3 workers of attempt 1 are ready',
    });
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'WaitingForWorkers' });
  });

  it.each([
    ['SpecChanged', 'Upgrading'],
    ['RestartRequested', 'Restarting'],
    ['Resumed', 'Starting'],
  ])('names the converging phase of an attempt started for %s %s', (attemptReason, phase) => {
    const s = nextStatus({
      job: makeJob({}, { ...attempt1, attemptReason }),
      nowMs: NOW,
      workers: obs(1, ['pending', 'pending']),
    });
    expect(s.phase).toBe(phase);
  });

  it('stays Degraded after a restart for an unavailable Kafka until the workers are ready', () => {
    const unavailable = { ...attempt1, attempt: 2, attemptReason: 'KafkaUnavailable' };
    const starting = nextStatus({
      job: makeJob({}, unavailable),
      nowMs: NOW,
      workers: obs(2, ['ready', 'pending']),
    });
    expect(starting.phase).toBe('Restarting');
    expect(cond(starting, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'KafkaUnavailable',
      message:
        'attempt 2 was started after a worker found KafkaUnavailable; 1/2 workers of attempt 2 are ready',
    });
    const running = nextStatus({
      job: makeJob({}, unavailable),
      nowMs: NOW,
      workers: obs(2, ['ready', 'ready']),
    });
    expect(cond(running, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
  });

  it('waits for the previous attempt with a reason that says so', () => {
    const workers = obs(2, [], 2, [makePod(1, 0, 'terminating')]);
    const s = nextStatus({
      job: makeJob({}, { ...attempt1, attempt: 2 }),
      nowMs: NOW,
      workers,
      blockedBy: 'waiting for 1 pod(s)',
    });
    expect(cond(s, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'WaitingForPreviousAttempt',
      message: 'waiting for 1 pod(s)',
    });
  });

  it('is Degraded with the kubelet reason for stuck workers and with the exit for failed ones', () => {
    const stuck = nextStatus({
      job: makeJob({}, attempt1),
      nowMs: NOW,
      workers: obs(1, ['ready', 'image-pull-backoff']),
    });
    expect(cond(stuck, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'WorkerNotStarting',
      message: 'worker wc-1-1: ImagePullBackOff (Back-off pulling image "x")',
    });
    const failed = nextStatus({
      job: makeJob({}, attempt1),
      nowMs: NOW,
      workers: obs(1, ['failed', 'ready']),
    });
    expect(cond(failed, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'WorkerFailed',
      message: 'worker wc-1-0: OOMKilled (exit code 137)',
    });
  });

  it('summarizes many failed workers with a count, under 4 KiB, however long their messages', () => {
    const pods = Array.from({ length: 300 }, (_, i) => {
      const p = makePod(1, i, 'failed');
      p.status!.containerStatuses![0]!.state!.terminated!.message = 'x'.repeat(4096);
      return p;
    });
    const workers = observeWorkers(pods, JOB_UID, 1, 300, 'h1', (i) => `wc-1-${i}`);
    const s = nextStatus({ job: makeJob({ parallelism: 300 }, attempt1), nowMs: NOW, workers });
    const msg = cond(s, 'Degraded')!.message;
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'WorkerFailed' });
    expect(msg).toMatch(
      /^300 workers failed: wc-1-0: OOMKilled \(exit code 137: x+…, wc-1-1: .*, … and 297 more$/,
    );
    expect(Buffer.byteLength(msg, 'utf8')).toBeLessThan(4096);
    for (const c of s.conditions!) expect(Buffer.byteLength(c.message, 'utf8')).toBeLessThan(4096);
  });

  it('puts a problem into Degraded and stops Progressing', () => {
    const s = nextStatus({
      job: makeJob({}, attempt1),
      nowMs: NOW,
      workers: obs(1, ['pending', 'pending']),
      problem: { reason: 'PodCreateFailed', message: 'creating pod ns/wc-1-0 was rejected: exceeded quota' },
    });
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'PodCreateFailed' });
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'PodCreateFailed' });
  });

  it('is Suspending while pods remain and Suspended after, keeping the attempt', () => {
    const job = makeJob({ state: 'suspended' }, { ...attempt1, phase: 'Running' });
    const suspending = nextStatus({ job, nowMs: NOW, workers: obs(1, ['ready', 'terminating']) });
    expect(suspending).toMatchObject({ phase: 'Suspending', attempt: 1, workers: { ready: 0, total: 0 } });
    expect(cond(suspending, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'Suspending',
      message: 'deleting 2 worker pod(s)',
    });
    const suspended = nextStatus({ job, nowMs: NOW, workers: obs(1, [], 2) });
    expect(suspended.phase).toBe('Suspended');
    expect(cond(suspended, 'Ready')).toMatchObject({ status: 'False', reason: 'Suspended' });
    expect(cond(suspended, 'Progressing')).toMatchObject({ status: 'False', reason: 'Suspended' });
  });

  it('is Finished when every worker exited successfully, and not Degraded', () => {
    const s = nextStatus({
      job: makeJob({}, attempt1),
      nowMs: NOW,
      workers: obs(1, ['succeeded', 'succeeded']),
    });
    expect(s.phase).toBe('Finished');
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'False' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'Finished' });
  });

  it('passes through what other parts of the operator own', () => {
    const owned: StreamJobStatus = {
      ...attempt1,
      restarts: 2,
      checkpoints: { lastCompleted: { id: 9, path: 'p/chk-9' } },
      restoredFrom: { path: 'p/chk-8', kind: 'checkpoint', id: 8 },
      conditions: [
        {
          type: 'CheckpointsHealthy',
          status: 'True',
          reason: 'Ok',
          message: '',
          lastTransitionTime: '2025-01-01T00:00:00Z',
        },
      ],
    };
    const s = nextStatus({ job: makeJob({}, owned), nowMs: NOW, workers: obs(1, ['ready', 'ready']) });
    expect(s).toMatchObject({
      restarts: 2,
      checkpoints: owned.checkpoints,
      restoredFrom: owned.restoredFrom,
      attemptSpecHash: 'h1',
    });
    expect(cond(s, 'CheckpointsHealthy')).toEqual(owned.conditions![0]);
  });
});

describe('statusEvents', () => {
  const running = nextStatus({ job: makeJob({}, attempt1), nowMs: NOW, workers: obs(1, ['ready', 'ready']) });
  const stuck = nextStatus({
    job: makeJob({}, running),
    nowMs: NOW,
    workers: obs(1, ['ready', 'image-pull-backoff']),
  });

  it('reports a phase change once', () => {
    expect(statusEvents(attempt1, running)).toEqual([
      {
        type: 'Normal',
        reason: 'Running',
        action: 'UpdateStatus',
        note: 'phase Starting → Running: 2/2 workers of attempt 1 are ready',
      },
    ]);
    expect(statusEvents(running, running)).toEqual([]);
  });

  it('warns when the job becomes degraded and reports the recovery', () => {
    const warn = statusEvents(running, stuck);
    expect(warn).toContainEqual({
      type: 'Warning',
      reason: 'WorkerNotStarting',
      action: 'Reconcile',
      note: 'worker wc-1-1: ImagePullBackOff (Back-off pulling image "x")',
    });
    expect(statusEvents(stuck, stuck)).toEqual([]);
    expect(statusEvents(stuck, running)).toContainEqual({
      type: 'Normal',
      reason: 'Recovered',
      action: 'Reconcile',
      note: 'no longer degraded (was WorkerNotStarting)',
    });
  });
});
