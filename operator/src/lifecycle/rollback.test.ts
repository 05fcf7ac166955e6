import type { StreamJobStatus } from '@sluice/api/streamjob.ts';
import { rolledBack, withEffectiveSpec } from '../streamjob/effective-spec.ts';
import { nextStatus } from '../streamjob/status.ts';
import type { WorkersObservation } from '../streamjob/workers.ts';
import { defaultSpec, makeJob } from '../../../test/harness/operator-fixtures.ts';
import { judgeVerification, nextStableSpec, settleVerification, verifyingUpgrade } from './rollback.ts';
import { upgradeHolding, type UpgradeState } from '../streamjob/upgrade-state.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const savepoint = { kind: 'savepoint' as const, id: 7, path: 'p/ns/wc/uid/sp-7' };
const stable = { generation: 1, specHash: 'h1', spec: { ...defaultSpec(), parallelism: 2 } };
const verifying: UpgradeState = {
  targetSpecHash: 'h2',
  stage: 'Verifying',
  rollbackFrom: savepoint,
  attemptParallelism: 3,
  startedAt: '2026-11-23T10:00:00Z',
};
/** Generation 2 (parallelism 3) upgrading from the stable generation 1 through savepoint 7. */
const upgrading = (over: StreamJobStatus = {}) =>
  makeJob(
    { parallelism: 3, upgradeTimeoutSeconds: 60 },
    {
      attempt: 2,
      attemptSpecHash: 'h2',
      attemptReason: 'SpecChanged',
      phase: 'Upgrading',
      savepoints: { last: { id: 7, path: savepoint.path } },
      lastStableSpec: stable,
      upgrade: { ...verifying },
      ...over,
    },
    2,
  );

describe('nextStableSpec', () => {
  it('records the spec of a Running attempt once per generation', () => {
    const job = makeJob({}, { attempt: 1, attemptSpecHash: 'h1', phase: 'Running' }, 4);
    expect(nextStableSpec(job, 'h1')).toEqual({ generation: 4, specHash: 'h1', spec: job.spec });
    const recorded = makeJob({}, { ...job.status, lastStableSpec: nextStableSpec(job, 'h1') }, 4);
    expect(nextStableSpec(recorded, 'h1')).toBeUndefined();
  });

  it('records nothing before Running or while the attempt runs another spec', () => {
    expect(
      nextStableSpec(makeJob({}, { attempt: 1, attemptSpecHash: 'h1', phase: 'Starting' }), 'h1'),
    ).toBeUndefined();
    expect(
      nextStableSpec(makeJob({}, { attempt: 1, attemptSpecHash: 'h1', phase: 'Running' }), 'h2'),
    ).toBeUndefined();
  });
});

describe('verifyingUpgrade', () => {
  it('verifies a savepoint-mode upgrade away from a stable spec', () => {
    const job = makeJob({ parallelism: 3 }, { attempt: 1, lastStableSpec: stable }, 2);
    expect(verifyingUpgrade(job, 'h2', savepoint, T0)).toEqual({ ...verifying, attemptParallelism: 3 });
  });

  it('verifies nothing without a stable spec, a snapshot, a changed shape, or outside savepoint mode', () => {
    const job = makeJob({}, { attempt: 1, lastStableSpec: stable }, 2);
    expect(verifyingUpgrade(makeJob({}, { attempt: 1 }), 'h2', savepoint, T0)).toBeUndefined();
    expect(verifyingUpgrade(job, 'h2', undefined, T0)).toBeUndefined();
    expect(verifyingUpgrade(job, 'h1', savepoint, T0)).toBeUndefined();
    const lastState = makeJob({ upgradeMode: 'last-state' }, { attempt: 1, lastStableSpec: stable }, 2);
    expect(verifyingUpgrade(lastState, 'h2', savepoint, T0)).toBeUndefined();
  });

  it('does not hold pods while verifying', () => {
    expect(upgradeHolding(upgrading())).toBe(false);
  });
});

describe('judgeVerification', () => {
  it('waits within the timeout and completes once Running', () => {
    expect(judgeVerification(upgrading(), T0 + 20_000)).toEqual({ action: 'wait', remainingMs: 40_000 });
    expect(judgeVerification(upgrading({ phase: 'Running' }), T0 + 90_000).action).toBe('complete');
  });

  it('rolls back from the upgrade savepoint past the timeout', () => {
    const v = judgeVerification(upgrading({ phase: 'Restarting' }), T0 + 60_000);
    expect(v).toMatchObject({ action: 'rollback', restoredFrom: savepoint });
    expect(v.action === 'rollback' && v.message).toMatch(
      /generation 2 did not become Running within 60s.*rolled back to generation 1 from savepoint p\/ns\/wc\/uid\/sp-7/,
    );
  });

  it('rolls back at once when the new version is Failed, naming why', () => {
    expect(judgeVerification(upgrading({ phase: 'Failed' }), T0 + 1000).action).toBe('rollback');
    const failed = upgrading({
      phase: 'Failed',
      conditions: [
        {
          type: 'Degraded',
          status: 'True',
          reason: 'JobLoadFailed',
          message: 'm',
          lastTransitionTime: '2026-11-23T10:00:00Z',
        },
      ],
    });
    const v = judgeVerification(failed, T0 + 1000);
    expect(v.action === 'rollback' && v.message).toMatch(
      /^generation \d+ failed \(JobLoadFailed\) before it became Running; rolled back/,
    );
  });

  it('does not roll back over a snapshot the new spec completed (its output is committed)', () => {
    const job = upgrading({
      phase: 'Restarting',
      checkpoints: { lastCompleted: { id: 8, path: 'p/chk-8' } },
    });
    const v = judgeVerification(job, T0 + 61_000);
    expect(v.action).toBe('abandon');
    expect(v.action === 'abandon' && v.message).toMatch(/completed a snapshot after p\/ns\/wc\/uid\/sp-7/);
  });

  it('ignores anything but a verification of the running attempt', () => {
    expect(judgeVerification(upgrading({ upgrade: undefined }), T0 + 61_000).action).toBe('none');
    expect(judgeVerification(upgrading({ attemptSpecHash: 'h3' }), T0 + 61_000).action).toBe('none');
  });
});

describe('settleVerification', () => {
  const ready3: WorkersObservation = { current: [], stale: [], missing: [], foreign: [], ready: 3 };

  it('ends the verification in the status write that makes the new attempt Running', () => {
    const job = upgrading();
    const next = nextStatus({ job, nowMs: T0 + 5_000, workers: ready3 });
    expect(next.phase).toBe('Running');
    expect(next.upgrade).toMatchObject({ stage: 'Verifying' });
    const { status, event } = settleVerification(job, next, 'h2', T0 + 5_000);
    expect(status.phase).toBe('Running');
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.upgrade).toBeUndefined();
    expect(status.lastStableSpec).toEqual({ generation: 2, specHash: 'h2', spec: job.spec });
    expect(event).toMatchObject({ type: 'Normal', reason: 'UpgradeCompleted', action: 'VerifyUpgrade' });
    expect(event?.note).toContain('attempt 2 of generation 2 is Running');
  });

  it('leaves a verification that is not Running yet, or anything else, as it is', () => {
    const job = upgrading();
    const starting = nextStatus({ job, nowMs: T0 + 5_000, workers: { ...ready3, ready: 2 } });
    expect(starting.phase).not.toBe('Running');
    expect(settleVerification(job, starting, 'h2', T0 + 5_000)).toEqual({ status: starting });
    // Past the timeout and not Running: the rollback is the intent's, before any pod changes.
    expect(settleVerification(job, starting, 'h2', T0 + 61_000)).toEqual({ status: starting });
    const plain = upgrading({ upgrade: undefined });
    const running = nextStatus({ job: plain, nowMs: T0, workers: ready3 });
    expect(settleVerification(plain, running, 'h2', T0)).toEqual({ status: running });
  });
});

describe('withEffectiveSpec', () => {
  const rollback = {
    generation: 2,
    toGeneration: 1,
    restoredFrom: savepoint,
    rolledBackAt: '2026-11-23T10:01:00Z',
    message: 'rolled back',
  };

  it('reconciles the stable spec while the rolled-back generation is current', () => {
    const job = upgrading({ upgrade: undefined, rollback });
    expect(rolledBack(job)).toBe(true);
    expect(withEffectiveSpec(job).spec.parallelism).toBe(2);
    expect(job.spec.parallelism).toBe(3);
  });

  it('reconciles .spec again after the next spec change', () => {
    const job = makeJob({ parallelism: 4 }, { ...upgrading().status, upgrade: undefined, rollback }, 3);
    expect(rolledBack(job)).toBe(false);
    expect(withEffectiveSpec(job)).toBe(job);
  });

  it('shows the rollback as Degraded while the stable spec runs', () => {
    const job = withEffectiveSpec(upgrading({ upgrade: undefined, rollback, phase: 'Running' }));
    const workers: WorkersObservation = { current: [], stale: [], missing: [], foreign: [], ready: 2 };
    const next = nextStatus({ job, nowMs: T0, workers });
    expect(next.phase).toBe('Running');
    expect(next.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'UpgradeRolledBack',
      message: 'rolled back',
    });
  });
});
