import {
  evaluateTargets,
  fmtBytes,
  fmtRatio,
  pairRows,
  parseResults,
  ratio,
  renderComparison,
  variantOf,
  type EngineResults,
} from './compare-report.ts';

// Hand-written fixtures in the shared format (not measured figures).
const sluice: EngineResults = parseResults(
  {
    engine: 'sluice',
    version: '0.1.0+abc',
    runtime: 'node v24.11.1',
    machine: { cpus: 2, model: 'Test CPU' },
    throughput: [
      { job: 'wordcount', parallelism: 1, events: 1000, eventsPerSecondPerWorker: 60_000 },
      {
        job: 'wordcount',
        parallelism: 2,
        events: 1000,
        eventsPerSecondPerWorker: 40_000,
        eventsPerCpuSecond: 90_000,
      },
      {
        job: 'nexmark-q5',
        parallelism: 2,
        events: 1000,
        eventsPerSecondPerWorker: 300_000,
        eventsPerCpuSecond: 200_000,
      },
    ],
    latency: [
      { job: 'wordcount', parallelism: 2, rate: 50_000, p50Ms: 1, p99Ms: 40, settings: 'sluice settings' },
    ],
    checkpoints: [
      { keys: 10_000, parallelism: 2, durationMs: 100, bytes: 50_000, restoreMs: 900, backend: 'heap' },
      {
        keys: 1_000_000,
        parallelism: 2,
        durationMs: 1500,
        bytes: 3_500_000,
        restoreMs: 2500,
        backend: 'heap',
        freshStartMs: 1000,
      },
    ],
    notes: ['a sluice note'],
  },
  'sluice.json',
);
const flink: EngineResults = parseResults(
  {
    engine: 'flink',
    version: '2.1.0',
    runtime: 'java 21',
    machine: { cpus: 2, model: 'Test CPU' },
    throughput: [
      { job: 'wordcount', parallelism: 1, events: 1000, eventsPerSecondPerWorker: 100_000 },
      {
        job: 'wordcount',
        parallelism: 2,
        events: 1000,
        eventsPerSecondPerWorker: 100_000,
        eventsPerCpuSecond: 100_000,
      },
      {
        job: 'nexmark-q5',
        parallelism: 2,
        events: 1000,
        eventsPerSecondPerWorker: 500_000,
        eventsPerCpuSecond: 500_000,
      },
    ],
    latency: [
      {
        job: 'wordcount',
        parallelism: 2,
        rate: 50_000,
        p50Ms: 2,
        p99Ms: 20,
        settings: 'flink settings 100',
        bufferTimeoutMs: 100,
      },
      {
        job: 'wordcount',
        parallelism: 2,
        rate: 50_000,
        p50Ms: 0.5,
        p99Ms: 8,
        settings: 'flink settings 5',
        bufferTimeoutMs: 5,
      },
    ],
    checkpoints: [
      {
        keys: 1_000_000,
        parallelism: 2,
        durationMs: 500,
        bytes: 7_000_000,
        restoreMs: 5000,
        backend: 'hashmap',
        freshStartMs: 4000,
      },
      {
        keys: 1_000_000,
        parallelism: 2,
        durationMs: 400,
        bytes: 5_000_000,
        restoreMs: 300,
        backend: 'rocksdb',
      },
    ],
    notes: [],
  },
  'flink.json',
);

describe('pairRows', () => {
  it('pairs every row of one engine with every row of the other of the same key', () => {
    const key = (x: string) => x[0]!;
    expect(pairRows(['a1', 'b1'], ['b2', 'b3', 'c1'], key)).toEqual([
      ['a1', undefined],
      ['b1', 'b2'],
      ['b1', 'b3'],
      [undefined, 'c1'],
    ]);
  });

  it('names Flink variants', () => {
    expect(variantOf({ bufferTimeoutMs: 5 })).toBe('buffer timeout 5 ms');
    expect(variantOf({ variant: 'object reuse' })).toBe('object reuse');
    expect(variantOf(undefined)).toBe('');
  });
});

describe('ratios and formatting', () => {
  it('divides only real, positive figures', () => {
    expect(ratio(1, 2)).toBe(0.5);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(ratio(1, NaN)).toBeUndefined();
    expect(fmtRatio(undefined)).toBe('—');
    expect(fmtRatio(0.4)).toBe('0.400×');
    expect(fmtRatio(0.4971)).toBe('0.497×');
    expect(fmtRatio(1.234)).toBe('1.23×');
    expect(fmtRatio(12.6)).toBe('13×');
    expect(fmtBytes(3_437_513)).toBe('3.3 MiB');
    expect(fmtBytes(54_347)).toBe('53 KiB');
    expect(fmtBytes(12)).toBe('12 B');
  });
});

describe('parseResults', () => {
  it('names the file and the field that is wrong', () => {
    expect(() => parseResults([], 'x.json')).toThrow('x.json: not a JSON object');
    expect(() => parseResults({ engine: 'e', version: 'v' }, 'x.json')).toThrow('"runtime" must be a string');
    expect(() =>
      parseResults(
        {
          engine: 'e',
          version: 'v',
          runtime: 'r',
          throughput: [{ job: 'wordcount', parallelism: 1, events: 1 }],
        },
        'x.json',
      ),
    ).toThrow('throughput[0].eventsPerSecondPerWorker must be a number');
  });

  it('fills missing sections with empty lists', () => {
    const r = parseResults({ engine: 'e', version: 'v', runtime: 'r' }, 'x.json');
    expect(r.throughput).toEqual([]);
    expect(r.machine).toEqual({ cpus: 0, model: 'unknown' });
  });
});

describe('evaluateTargets', () => {
  it('passes or misses each of the issue targets', () => {
    const t = evaluateTargets(sluice, flink);
    expect(t.map((x) => [x.outcome, x.target])).toEqual([
      ['miss', 'runtime throughput per core ≥ 0.5× Flink on wordcount'],
      ['miss', 'runtime throughput per core ≥ 0.5× Flink on Nexmark'],
      ['pass', 'checkpoint of 1M keys < 2 s'],
      ['miss', 'restore of 1M keys < 2 s'],
    ]);
    // wordcount passes at p=1 (0.6×) and per CPU-second at p=2 (0.9×) but misses per worker at
    // p=2 (0.4×); Nexmark passes per worker (0.6×) but misses per CPU-second (0.4×): every
    // comparison counts.
    expect(t[0]!.detail).toBe(
      'per worker: wordcount p=1 0.600×, wordcount p=2 0.400×; per CPU-second: wordcount p=2 0.900×',
    );
    expect(t[1]!.detail).toBe('per worker: nexmark-q5 p=2 0.600×; per CPU-second: nexmark-q5 p=2 0.400×');
    expect(t[3]!.detail).toBe('Sluice 2,500 ms at p=2');
  });

  it('passes throughput when every comparison reaches 0.5', () => {
    const fast = {
      ...sluice,
      throughput: sluice.throughput.map((x) => ({
        ...x,
        eventsPerSecondPerWorker: 1e6,
        eventsPerCpuSecond: 1e6,
      })),
    };
    expect(evaluateTargets(fast, flink).map((x) => x.outcome)).toEqual(['pass', 'pass', 'pass', 'miss']);
  });

  it('reports unknown without a Flink file or a 1M-key figure', () => {
    const t = evaluateTargets({ ...sluice, checkpoints: [] }, undefined);
    expect(t.every((x) => x.outcome === 'unknown')).toBe(true);
  });
});

describe('renderComparison', () => {
  it('prints side-by-side tables with ratios, targets and notes', () => {
    const md = renderComparison(sluice, flink);
    expect(md).toContain('| wordcount | 1 | 60,000 | 100,000 | 0.600× | — | — | — |');
    expect(md).toContain('| wordcount | 2 | 40,000 | 100,000 | 0.400× | 90,000 | 100,000 | 0.900× |');
    expect(md).toContain('| nexmark-q5 | 2 | 300,000 | 500,000 | 0.600× | 200,000 | 500,000 | 0.400× |');
    // One latency row per Flink buffer timeout, each against Sluice's row.
    expect(md).toContain(
      '| wordcount | 2 | 50,000 | buffer timeout 100 ms | 1.00 | 2.00 | 0.500× | 40.00 | 20.00 | 2.00× |',
    );
    expect(md).toContain(
      '| wordcount | 2 | 50,000 | buffer timeout 5 ms | 1.00 | 0.50 | 2.00× | 40.00 | 8.00 | 5.00× |',
    );
    expect(md).toContain('| 10,000 | 2 | — | 100 | — | — | 49 KiB | — | — | 900 | — | — | — | — | — |');
    // One checkpoint row per Flink backend; restore − fresh only where both report freshStartMs.
    expect(md).toContain(
      '| 1,000,000 | 2 | hashmap | 1,500 | 500 | 3.00× | 3.3 MiB | 6.7 MiB | 0.500× | 2,500 | 5,000 | 0.500× | 1,500 | 1,000 | 1.50× |',
    );
    expect(md).toContain(
      '| 1,000,000 | 2 | rocksdb | 1,500 | 400 | 3.75× | 3.3 MiB | 4.8 MiB | 0.700× | 2,500 | 300 | 8.33× | 1,500 | — | — |',
    );
    expect(md).toContain('higher is better');
    expect(md).toContain('lower is better');
    expect(md).toContain('- **miss** — restore of 1M keys < 2 s: Sluice 2,500 ms at p=2');
    expect(md).toContain('- a sluice note');
    expect(md).toContain('Flink latency settings (wordcount p=2): flink settings 5');
    expect(md).toContain('State backends: Sluice heap, Flink hashmap, Flink rocksdb.');
  });

  it('works with one side only', () => {
    const md = renderComparison(undefined, flink);
    expect(md).toContain('- Sluice: no results file');
    expect(md).toContain('| wordcount | 1 | — | 100,000 | — | — | — | — |');
    expect(renderComparison({ ...sluice, latency: [] }, undefined)).toContain(
      'lower is better, ratio < 1 favours Sluice)\n\n_no figures_',
    );
  });
});
