import { CrashPoints, parseCrashPlan } from './crash-points.ts';

describe('parseCrashPlan', () => {
  it('reads a step, an optional kind and an optional count', () => {
    expect(parseCrashPlan('metadata-written')).toEqual({ step: 'metadata-written', kind: undefined, nth: 1 });
    expect(parseCrashPlan('id-in-status/savepoint')).toEqual({
      step: 'id-in-status',
      kind: 'savepoint',
      nth: 1,
    });
    expect(parseCrashPlan('completed-in-status/checkpoint#3')).toEqual({
      step: 'completed-in-status',
      kind: 'checkpoint',
      nth: 3,
    });
  });

  it.each(['metadata', 'metadata-written/chk', 'metadata-written#0', 'metadata-written#x', ''])(
    'refuses %j, naming the valid steps',
    (spec) => {
      expect(() => parseCrashPlan(spec)).toThrow(/id-in-status, request-annotated, metadata-written/);
    },
  );
});

describe('CrashPoints.due', () => {
  it('is due at the n-th pass of the planned step for the planned kind only', () => {
    const c = new CrashPoints(parseCrashPlan('completed-in-status/checkpoint#2'));
    expect(c.due('completed-in-status', 'savepoint')).toBe(false);
    expect(c.due('metadata-written', 'checkpoint')).toBe(false);
    expect(c.due('completed-in-status', 'checkpoint')).toBe(false);
    expect(c.due('completed-in-status', 'savepoint')).toBe(false);
    expect(c.due('completed-in-status', 'checkpoint')).toBe(true);
    expect(c.due('completed-in-status', 'checkpoint')).toBe(false);
  });

  it('is never due without a plan (SLUICE_CRASH_AFTER unset or empty)', () => {
    for (const env of [{}, { SLUICE_CRASH_AFTER: '' }]) {
      const c = CrashPoints.fromEnv(env);
      expect(c.due('id-in-status', 'checkpoint')).toBe(false);
    }
    expect(CrashPoints.fromEnv({ SLUICE_CRASH_AFTER: 'id-in-status' }).due('id-in-status', 'savepoint')).toBe(
      true,
    );
  });
});
