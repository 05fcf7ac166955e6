import { renderNodeLostBlock, type NodeLostResults } from './node-lost-table.ts';

const results = (pass: boolean | undefined, problem?: string): NodeLostResults => ({
  date: '2026-12-05T14:52:07Z',
  provenance: { git: { commit: 'abcdef0123', dirty: false }, loadAverage: { start: [1.5], end: [2] } },
  config: { runs: 3, parallelism: 4, generatorLinesPerSecond: 1000, restartPolicy: 'CRD defaults' },
  target: { targetMs: 60_000, ...(pass === undefined ? {} : { pass }) },
  runs: [
    { resumedMs: 30_000, connectedMs: 31_000 },
    { resumedMs: 34_000, connectedMs: 36_000 },
    { resumedMs: 90_000, connectedMs: 91_000, ...(problem ? { problem } : {}) },
  ],
});

describe('renderNodeLostBlock', () => {
  it('shows median, min and max of the valid runs and the verdict the tool printed', () => {
    const text = renderNodeLostBlock('f.json', results(true, 'restored an older checkpoint'));
    expect(text).toContain('commit abcdef0, 2026-12-05T14:52:07Z, load average 1.5 → 2; 2 of 3 runs valid');
    expect(text).toContain('| node paused → resumed | 32.0 | 30.0 | 34.0 |  |');
    expect(text).toContain('| node paused → connected | 33.5 | 31.0 | 36.0 | < 60: **PASS** |');
  });

  it('never recomputes the verdict: a printed MISS stays a MISS, a missing one is NO DATA', () => {
    expect(renderNodeLostBlock('f.json', results(false))).toContain('< 60: **MISS**');
    expect(renderNodeLostBlock('f.json', results(undefined))).toContain('< 60: NO DATA');
  });

  it('refuses a file without a valid run', () => {
    const r = results(true);
    r.runs = [{ resumedMs: 1, connectedMs: 1, problem: 'x' }];
    expect(() => renderNodeLostBlock('f.json', r)).toThrow('f.json: no valid run to publish');
  });
});
