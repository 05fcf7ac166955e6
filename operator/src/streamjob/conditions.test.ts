import type { Condition } from '@sluice/api/streamjob.ts';
import {
  attemptStartedConditions,
  findCondition,
  isConditionTrue,
  rfc3339,
  setCondition,
  setConditions,
} from './conditions.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const T1 = T0 + 90_500;

describe('conditions', () => {
  it('formats transition times as RFC 3339 seconds (metav1.Time)', () => {
    expect(rfc3339(T0 + 999)).toBe('2026-01-01T12:00:00Z');
  });

  it('adds a new condition with the current time', () => {
    const out = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'WorkersNotReady', message: '0/2' },
      T0,
    );
    expect(out).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'WorkersNotReady',
        message: '0/2',
        lastTransitionTime: '2026-01-01T12:00:00Z',
      },
    ]);
  });

  it('keeps lastTransitionTime when only reason, message or observedGeneration change', () => {
    const before = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'A', message: '0/2', observedGeneration: 1 },
      T0,
    );
    const after = setCondition(
      before,
      { type: 'Ready', status: 'False', reason: 'B', message: '1/2', observedGeneration: 2 },
      T1,
    );
    expect(after[0]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'B',
      message: '1/2',
      observedGeneration: 2,
      lastTransitionTime: '2026-01-01T12:00:00Z',
    });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const before = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: '' }, T0);
    const after = setCondition(before, { type: 'Ready', status: 'True', reason: 'A', message: '' }, T1);
    expect(after[0]!.lastTransitionTime).toBe('2026-01-01T12:01:30Z');
  });

  it('leaves other conditions, their order and the input untouched', () => {
    const input: Condition[] = [
      {
        type: 'CheckpointsHealthy',
        status: 'True',
        reason: 'Ok',
        message: '',
        lastTransitionTime: '2025-01-01T00:00:00Z',
      },
      { type: 'Ready', status: 'True', reason: 'A', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' },
    ];
    const copy = structuredClone(input);
    const out = setConditions(
      input,
      [
        { type: 'Ready', status: 'False', reason: 'B', message: '' },
        { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' },
      ],
      T1,
    );
    expect(input).toEqual(copy);
    expect(out.map((c) => c.type)).toEqual(['CheckpointsHealthy', 'Ready', 'Degraded']);
    expect(out[0]).toBe(input[0]);
    expect(findCondition(out, 'Ready')!.lastTransitionTime).toBe('2026-01-01T12:01:30Z');
    expect(isConditionTrue(out, 'CheckpointsHealthy')).toBe(true);
    expect(isConditionTrue(out, 'Ready')).toBe(false);
    expect(isConditionTrue(out, 'Missing')).toBe(false);
  });

  it("a new attempt's intent turns Ready False and Progressing True, keeping the other conditions", () => {
    const before: Condition[] = [
      { type: 'Ready', status: 'True', reason: 'WorkersReady', message: '', lastTransitionTime: rfc3339(T0) },
      {
        type: 'Progressing',
        status: 'False',
        reason: 'Stable',
        message: '',
        lastTransitionTime: rfc3339(T0),
      },
      {
        type: 'CheckpointsHealthy',
        status: 'True',
        reason: 'A',
        message: '',
        lastTransitionTime: rfc3339(T0),
      },
    ];
    const out = attemptStartedConditions(before, 4, 'worker wc-3-1 failed: starting attempt 4', T1, 7);
    expect(findCondition(out, 'Ready')).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'WorkersNotReady',
      message: 'attempt 4 is starting',
      lastTransitionTime: rfc3339(T1),
      observedGeneration: 7,
    });
    expect(findCondition(out, 'Progressing')).toMatchObject({ status: 'True', reason: 'AttemptStarted' });
    expect(findCondition(out, 'CheckpointsHealthy')).toBe(before[2]);
  });
});
