import { describe, expect, it } from '@jest/globals';
import { judged, renderTargetsBlock, targetResults, type TargetInput, type TargetResult } from './targets.ts';

const ackPhase = {
  name: 'checkpoints-ack',
  reconcile: { count: 100, p99Ms: 120 },
  checkpoints: {
    scheduledPerMin: 1000,
    intervalSeconds: 60,
    operatorRequestsPerCompleted: 5,
    wholeIntervals: { windowS: 120, completedPerMin: 960 },
  },
};

function input(over: Partial<TargetInput> = {}): TargetInput {
  return {
    parallelism: 2,
    phases: [
      { name: 'baseline' },
      { name: 'burst', reconcile: { count: 2000, p99Ms: 400 } },
      { name: 'steady-off', reconcile: { count: 0 } },
      ackPhase,
    ],
    burstReadyP99Ms: 450,
    burstNotReady: 0,
    steadyRssMiB: 140,
    peakRssMiB: 290,
    ...over,
  };
}

const verdicts = (i: TargetInput) =>
  Object.fromEntries(targetResults(i).map((t) => [`${t.name}${t.phase ? ` [${t.phase}]` : ''}`, t.verdict]));

describe('judged', () => {
  it('compares by the operator, strictly for < and inclusively for ≤ and ≥', () => {
    const t = { name: 'x', unit: '', limit: 5 };
    expect(judged({ ...t, op: '<', value: 5 }).verdict).toBe('MISS');
    expect(judged({ ...t, op: '≤', value: 5 }).verdict).toBe('PASS');
    expect(judged({ ...t, op: '≥', value: 5 }).verdict).toBe('PASS');
    expect(judged({ ...t, op: '≥', value: 4.9 }).verdict).toBe('MISS');
    expect(judged({ ...t, op: '<' }).verdict).toBe('NOT MEASURED');
  });

  it('makes a MISS of a reason, whatever the value, and keeps both notes', () => {
    const t = judged({ name: 'x', unit: '', op: '<', limit: 5, value: 1, note: 'a' }, 'b');
    expect(t).toMatchObject({ verdict: 'MISS', note: 'a; b' });
  });
});

describe('targetResults', () => {
  it('passes a run within every bound and leaves a phase without reconciles unmeasured', () => {
    expect(verdicts(input())).toEqual({
      'create → Ready p99 [burst]': 'PASS',
      'create → Ready p99 [rate]': 'NOT MEASURED',
      'reconcile p99 [burst]': 'PASS',
      'reconcile p99 [steady-off]': 'NOT MEASURED',
      'reconcile p99 [checkpoints-ack]': 'PASS',
      'operator API requests per completed checkpoint [checkpoints-ack]': 'PASS',
      'checkpoints completed per min (on schedule) [checkpoints-ack]': 'PASS',
      'operator RSS steady (end of steady-off)': 'PASS',
      'operator RSS peak (VmHWM)': 'PASS',
    });
  });

  it('misses each bound just past it', () => {
    const over = {
      ...ackPhase,
      reconcile: { count: 10, p99Ms: 500 },
      checkpoints: {
        ...ackPhase.checkpoints,
        operatorRequestsPerCompleted: 5.1,
        wholeIntervals: { windowS: 120, completedPerMin: 949.9 },
      },
    };
    const rate = { readyP99Ms: 500, notReady: 0, note: '50 jobs at 1/s' };
    const v = verdicts(
      input({ phases: [over], burstReadyP99Ms: 500, rate, steadyRssMiB: 150, peakRssMiB: 300 }),
    );
    expect(Object.values(v)).toEqual(Array(7).fill('MISS'));
  });

  it('misses create → Ready when a job never got Ready, whatever the p99 of the others', () => {
    const e2e = targetResults(input({ burstNotReady: 3 }))[0]!;
    expect(e2e).toMatchObject({ verdict: 'MISS', note: '3 jobs not Ready within --ready-timeout' });
  });

  it('judges jobs arriving one by one apart from the burst, with how they arrived', () => {
    const rateOf = (rate: TargetInput['rate']) =>
      targetResults(input({ burstReadyP99Ms: 90_000, rate })).filter((t) => t.name === 'create → Ready p99');
    const [burst, ok] = rateOf({
      readyP99Ms: 320,
      notReady: 0,
      note: '50 jobs created at 1/s beside 1000 running',
    });
    expect(burst).toMatchObject({ phase: 'burst', verdict: 'MISS' });
    expect(ok).toMatchObject({
      phase: 'rate',
      verdict: 'PASS',
      note: '50 jobs created at 1/s beside 1000 running',
    });
    const [, lost] = rateOf({ readyP99Ms: 320, notReady: 2, note: 'n' });
    expect(lost).toMatchObject({ verdict: 'MISS', note: 'n; 2 jobs not Ready within --ready-timeout' });
    const [, none] = rateOf(undefined);
    expect(none).toMatchObject({ verdict: 'NOT MEASURED', note: 'no rate phase (--rate)' });
  });

  it('leaves the checkpoint targets unmeasured without the ack phase, and misses them without a completion', () => {
    const skipped = verdicts(input({ phases: [{ name: 'burst', reconcile: { count: 1, p99Ms: 1 } }] }));
    expect(skipped['operator API requests per completed checkpoint [checkpoints-ack]']).toBe('NOT MEASURED');
    expect(skipped['checkpoints completed per min (on schedule) [checkpoints-ack]']).toBe('NOT MEASURED');
    const none = {
      ...ackPhase,
      checkpoints: {
        scheduledPerMin: 1000,
        intervalSeconds: 60,
        wholeIntervals: { windowS: 120, completedPerMin: 0 },
      },
    };
    const stalled = verdicts(input({ phases: [none] }));
    expect(stalled['operator API requests per completed checkpoint [checkpoints-ack]']).toBe('MISS');
    expect(stalled['checkpoints completed per min (on schedule) [checkpoints-ack]']).toBe('MISS');
  });

  it('misses the schedule when jobs complete more than one checkpoint per scheduled point', () => {
    const at = (completedPerMin: number) =>
      targetResults(
        input({
          phases: [
            {
              ...ackPhase,
              checkpoints: { ...ackPhase.checkpoints, wholeIntervals: { windowS: 600, completedPerMin } },
            },
          ],
        }),
      ).find((x) => x.name.includes('on schedule'))!;
    // 10 whole intervals: at most 11 points per job in the window, 1100/min of 1000 scheduled.
    expect(at(1100).verdict).toBe('PASS');
    expect(at(1261.9)).toMatchObject({
      verdict: 'MISS',
      note: expect.stringContaining('triggers repeat') as unknown as string,
    });
  });

  it('bounds requests per completed checkpoint by the parallelism', () => {
    const t = targetResults(input({ parallelism: 4 })).find((x) => x.name.startsWith('operator API'))!;
    expect(t).toMatchObject({ limit: 7, verdict: 'PASS' });
  });
});

describe('renderTargetsBlock', () => {
  it('renders the stored verdicts as a table and refuses a file without targets', () => {
    const results: TargetResult[] = [
      {
        name: 'reconcile p99',
        phase: 'burst',
        value: 2432.7,
        unit: ' ms',
        op: '<',
        limit: 500,
        verdict: 'MISS',
      },
      {
        name: 'reconcile p99',
        phase: 'steady-off',
        unit: ' ms',
        op: '<',
        limit: 500,
        verdict: 'NOT MEASURED',
      },
    ];
    expect(renderTargetsBlock('f.json', { targets: { issue: 'x', results } })).toBe(
      [
        '',
        '| target ("x") | measured | verdict |',
        '| --- | --: | --- |',
        '| reconcile p99 [burst] < 500 ms | 2,432.7 ms | MISS |',
        '| reconcile p99 [steady-off] < 500 ms | — | NOT MEASURED |',
        '',
        '',
      ].join('\n'),
    );
    expect(() => renderTargetsBlock('f.json', {})).toThrow('f.json: no targets to publish');
  });
});
