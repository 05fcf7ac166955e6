import { nextStatus } from '../streamjob/status.ts';
import { makeJob } from '../../../test/harness/operator-fixtures.ts';
import { gateSuspend, gateUpgrade, revertedUpgrade } from './upgrade.ts';
import {
  attemptParallelism,
  suspendHeld,
  upgradeAfterSnapshot,
  upgradeHolding,
  wantsStopWithSavepoint,
  type UpgradeState,
} from '../streamjob/upgrade-state.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const running = { attempt: 1, phase: 'Running' as const, workers: { ready: 2, total: 2 } };

describe('gateUpgrade', () => {
  it('lets non-savepoint modes and other reasons start at once', () => {
    expect(gateUpgrade(makeJob({ upgradeMode: 'last-state' }, running), 'SpecChanged', 'h2', T0)).toEqual({
      hold: false,
      upgrade: undefined,
    });
    expect(
      gateUpgrade(makeJob({ upgradeMode: 'savepoint' }, running), 'RestartRequested', 'h2', T0).hold,
    ).toBe(false);
  });

  it('holds a running job for a stop-with-savepoint at its current parallelism', () => {
    const job = makeJob({ upgradeMode: 'savepoint', parallelism: 3 }, running);
    const g = gateUpgrade(job, 'SpecChanged', 'h2', T0);
    expect(g).toEqual({
      hold: true,
      upgrade: {
        targetSpecHash: 'h2',
        stage: 'Savepointing',
        attemptParallelism: 2,
        startedAt: '2026-11-23T10:00:00Z',
      },
    });
    const held = makeJob({ upgradeMode: 'savepoint', parallelism: 3 }, { ...running, upgrade: g.upgrade! });
    expect(upgradeHolding(held)).toBe(true);
    expect(wantsStopWithSavepoint(held)).toBe(true);
    expect(attemptParallelism(held)).toBe(2);
    // A further spec change retargets the same upgrade.
    expect(gateUpgrade(held, 'SpecChanged', 'h3', T0 + 5000).upgrade).toMatchObject({
      targetSpecHash: 'h3',
      startedAt: '2026-11-23T10:00:00Z',
    });
  });

  it('starts once the savepoint was taken (or failed), and when the job is not running', () => {
    const taken: UpgradeState = {
      targetSpecHash: 'h2',
      stage: 'SavepointTaken',
      savepointId: 4,
      attemptParallelism: 2,
      startedAt: 'x',
    };
    const job = makeJob(
      { upgradeMode: 'savepoint' },
      { ...running, phase: 'Finished', upgrade: { ...taken } },
    );
    expect(gateUpgrade(job, 'SpecChanged', 'h2', T0)).toEqual({ hold: false, upgrade: undefined });
    expect(wantsStopWithSavepoint(job)).toBe(false);
    expect(
      gateUpgrade(
        makeJob({ upgradeMode: 'savepoint' }, { ...running, phase: 'Starting' }),
        'SpecChanged',
        'h2',
        T0,
      ).hold,
    ).toBe(false);
  });
});

describe('upgradeAfterSnapshot', () => {
  const u: UpgradeState = {
    targetSpecHash: 'h2',
    stage: 'Savepointing',
    attemptParallelism: 2,
    startedAt: 'x',
  };
  it('moves on only for the operator savepoint', () => {
    const sp = { id: 4, kind: 'savepoint' as const, path: 'p/sp-4-operator' };
    expect(upgradeAfterSnapshot(u, sp, 'completed', 'ok')).toMatchObject({
      stage: 'SavepointTaken',
      savepointId: 4,
    });
    expect(upgradeAfterSnapshot(u, sp, 'aborted', 'timeout')).toMatchObject({ stage: 'SavepointFailed' });
    expect(upgradeAfterSnapshot(u, { ...sp, nonce: 'n1' }, 'completed', 'ok')).toBe(u);
    expect(upgradeAfterSnapshot(u, { id: 4, kind: 'checkpoint' }, 'completed', 'ok')).toBe(u);
    expect(upgradeAfterSnapshot(undefined, sp, 'completed', 'ok')).toBeUndefined();
  });
});

describe('gateSuspend', () => {
  it('holds the workers of a running savepoint-mode job until its stop-with-savepoint', () => {
    const job = makeJob(
      { upgradeMode: 'savepoint', state: 'suspended' },
      { ...running, attemptSpecHash: 'h1' },
    );
    const g = gateSuspend(job, T0);
    expect(g).toEqual({
      hold: true,
      upgrade: {
        kind: 'suspend',
        targetSpecHash: 'h1',
        stage: 'Savepointing',
        attemptParallelism: 2,
        startedAt: '2026-11-23T10:00:00Z',
      },
    });
    const held = makeJob(
      { upgradeMode: 'savepoint', state: 'suspended' },
      { ...running, upgrade: g.upgrade! },
    );
    expect(suspendHeld(held)).toBe(true);
    expect(wantsStopWithSavepoint(held)).toBe(true);
    const taken = makeJob(
      { upgradeMode: 'savepoint', state: 'suspended' },
      { ...running, upgrade: { ...g.upgrade!, stage: 'SavepointTaken' } },
    );
    expect(gateSuspend(taken, T0).hold).toBe(false);
    expect(suspendHeld(taken)).toBe(false);
  });

  it('deletes at once in other modes, when not running, and does nothing while running', () => {
    expect(gateSuspend(makeJob({ upgradeMode: 'last-state', state: 'suspended' }, running), T0).hold).toBe(
      false,
    );
    expect(
      gateSuspend(
        makeJob({ upgradeMode: 'savepoint', state: 'suspended' }, { ...running, phase: 'Starting' }),
        T0,
      ).hold,
    ).toBe(false);
    expect(gateSuspend(makeJob({ upgradeMode: 'savepoint' }, running), T0)).toEqual({
      hold: false,
      upgrade: undefined,
    });
  });
});

describe('status while an upgrade holds the attempt', () => {
  it('is Upgrading, not Finished, while the old workers exit after the stop-with-savepoint', () => {
    const u: UpgradeState = {
      targetSpecHash: 'h2',
      stage: 'SavepointTaken',
      attemptParallelism: 2,
      startedAt: 'x',
    };
    const job = makeJob({ upgradeMode: 'savepoint', parallelism: 3 }, { ...running, upgrade: { ...u } });
    const s = nextStatus({
      job,
      nowMs: T0,
      workers: { current: [], missing: [], stale: [], foreign: [], ready: 0 },
    });
    expect(s.phase).toBe('Upgrading');
    expect(s.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'Upgrading',
    });
  });
});

describe('revertedUpgrade', () => {
  const held = (stage: UpgradeState['stage'], extra: object = {}) =>
    makeJob(
      { upgradeMode: 'savepoint' },
      {
        ...running,
        attemptSpecHash: 'h1',
        upgrade: { targetSpecHash: 'h2', stage, attemptParallelism: 2, startedAt: '2026-11-23T10:00:00Z' },
        ...extra,
      },
    );

  it('cancels an upgrade whose stop-with-savepoint has not begun', () => {
    expect(revertedUpgrade(held('Savepointing'), 'h1')).toEqual({ action: 'cancel' });
  });

  it('keeps a stop-with-savepoint under way, retargeted to the spec as it is', () => {
    const job = held('Savepointing', { checkpoints: { inProgress: { id: 5, kind: 'savepoint' } } });
    expect(revertedUpgrade(job, 'h1')).toEqual({
      action: 'retarget',
      start: false,
      upgrade: expect.objectContaining({ targetSpecHash: 'h1', stage: 'Savepointing' }),
    });
  });

  it('starts the next attempt from a savepoint already taken', () => {
    expect(revertedUpgrade(held('SavepointTaken', { phase: 'Upgrading' }), 'h1')).toMatchObject({
      action: 'retarget',
      start: true,
    });
    // Also once the upgrade was retargeted to the running attempt's spec while under way.
    const retargeted = held('SavepointTaken', { phase: 'Upgrading' });
    retargeted.status!.upgrade = { ...retargeted.status!.upgrade!, targetSpecHash: 'h1' };
    expect(revertedUpgrade(retargeted, 'h1')).toMatchObject({ action: 'retarget', start: true });
  });

  it('does not apply to a spec the running attempt does not run, nor without a held upgrade', () => {
    const userSavepoint = held('Savepointing', {
      checkpoints: { inProgress: { id: 5, kind: 'savepoint', nonce: 'n1' } },
    });
    expect(revertedUpgrade(userSavepoint, 'h1')).toEqual({ action: 'cancel' });
    expect(revertedUpgrade(held('Savepointing'), 'h3')).toBeUndefined();
    expect(revertedUpgrade(makeJob({}, running), 'h1')).toBeUndefined();
  });
});
