import {
  completion,
  comparisonLines,
  parseKafkaResults,
  renderKafkaBlock,
  rowProblems,
  throughputRow,
  verdicts,
  type KafkaResults,
  type LatencyRow,
} from './report.ts';

const latencyRow = (
  engine: 'sluice' | 'flink',
  p99Ms: number,
  over: Partial<LatencyRow> = {},
): LatencyRow => ({
  engine,
  parallelism: 1,
  rate: 5000,
  records: 100_000,
  p50Ms: p99Ms / 2,
  p99Ms,
  maxMs: p99Ms + 1,
  meanMs: p99Ms / 2,
  histogram: { buckets: [], count: 0, minMs: null, maxMs: null, sumMs: 0 },
  ...over,
});

function results(): KafkaResults {
  const throughput = [
    throughputRow('sluice', 1, 1000, { wallSeconds: 2, cpuSeconds: 1 }, { checkpoints: 2 }),
    throughputRow('flink', 1, 1000, { wallSeconds: 1, cpuSeconds: 2 }),
  ];
  const latency = [latencyRow('sluice', 900), latencyRow('flink', 1200)];
  return {
    provenance: {
      runId: 'run-1',
      date: '2026-12-05T20:00:00.000Z',
      machine: { cpuModel: 'cpu', cores: 2, memoryBytes: 1 },
      loadAverage: { start: [0.5, 0, 0], end: [0.7, 0, 0] },
      tools: { node: 'v24', flink: '2.3.0' },
      git: { commit: 'abcdef0123', dirty: false },
      inputs: {},
      parameters: {},
    },
    throughput,
    latency,
    checks: [],
    verdicts: verdicts({ throughput, latency }),
  };
}

describe('completion', () => {
  const samples = [
    { t: 1000, stable: 0n, cpuMs: 100 },
    { t: 1100, stable: 500n, cpuMs: 200 },
    { t: 1200, stable: 1010n, cpuMs: 300 },
    { t: 1300, stable: 1010n, cpuMs: 400 },
  ];

  it('ends at the first sample where the last stable offset reached its final value', () => {
    expect(completion({ t: 1000, cpuMs: 100 }, samples, 1010n)).toEqual({
      wallSeconds: 0.2,
      cpuSeconds: 0.2,
    });
  });

  it('gives no CPU figure when CPU was unreadable, and fails when the final offset was never seen', () => {
    expect(completion({ t: 1000, cpuMs: NaN }, samples, 1010n).cpuSeconds).toBeNull();
    expect(() => completion({ t: 0, cpuMs: 0 }, samples, 2000n)).toThrow('final last stable offset 2000');
  });
});

describe('throughputRow', () => {
  it('divides by the workers and by the CPU seconds', () => {
    const r = throughputRow('sluice', 2, 1000, { wallSeconds: 2, cpuSeconds: 4 });
    expect(r).toMatchObject({ eventsPerSecond: 500, eventsPerSecondPerWorker: 250, eventsPerCpuSecond: 250 });
    expect(throughputRow('flink', 1, 10, { wallSeconds: 1, cpuSeconds: null }).eventsPerCpuSecond).toBeNull();
  });
});

describe('verdicts', () => {
  it('judges per worker and per CPU-second as Sluice/Flink ≥ 1 and p99 as Sluice ≤ Flink', () => {
    expect(verdicts(results()).map((v) => [v.ratio, v.verdict])).toEqual([
      [0.5, 'MISS'],
      [2, 'PASS'],
      [1200 / 900, 'PASS'],
    ]);
  });

  it('passes equal figures and leaves a missing side UNKNOWN', () => {
    const r = results();
    r.latency = [latencyRow('sluice', 900), latencyRow('flink', 900)];
    expect(verdicts(r)[2]!.verdict).toBe('PASS');
    r.latency = [latencyRow('sluice', 900)];
    r.throughput = r.throughput.filter((x) => x.engine === 'sluice');
    expect(verdicts(r).map((v) => v.verdict)).toEqual(['UNKNOWN', 'UNKNOWN', 'UNKNOWN']);
  });
});

describe('rowProblems', () => {
  it('refuses rows of one parallelism over different inputs', () => {
    const r = results();
    r.throughput[1] = { ...r.throughput[1]!, records: 999 };
    r.latency[1] = latencyRow('flink', 1200, { rate: 1000 });
    expect(rowProblems(r)).toEqual([
      'throughput p=1: records 1000 (Sluice) ≠ 999 (Flink)',
      'latency p=1: rate 5000 (Sluice) ≠ 1000 (Flink)',
    ]);
    expect(rowProblems(results())).toEqual([]);
  });
});

describe('comparisonLines and renderKafkaBlock', () => {
  it('prints the ratios and the verdicts', () => {
    const text = comparisonLines(results()).join('\n');
    expect(text).toContain('| events/s per worker | 500 | 1,000 | 0.50× |');
    expect(text).toContain('| events per CPU-second | 1,000 | 500 | 2.00× |');
    expect(text).toContain('| p99 | 900.0 | 1200.0 | 0.75× |');
    expect(text).toContain('| 1 | events/s per worker: Sluice ≥ 1.0× Flink | 0.50× | **MISS** |');
  });

  it('renders a committed file with its provenance', () => {
    const text = renderKafkaBlock('bench/results/published/x/kafka.json', results());
    expect(text).toContain(
      'run run-1, commit abcdef0, 2026-12-05T20:00:00.000Z, 2 cores (cpu), load average 0.50 → 0.70; node v24, flink 2.3.0.',
    );
    expect(text).toContain('**PASS**');
  });

  it('refuses a file whose verdicts are not the ones its rows give', () => {
    const r = results();
    r.verdicts[0] = { ...r.verdicts[0]!, verdict: 'PASS' };
    expect(() => parseKafkaResults(r, 'f.json')).toThrow(
      'f.json: its verdicts are not the ones its rows give',
    );
    expect(() => parseKafkaResults({ ...results(), provenance: undefined }, 'f.json')).toThrow('provenance');
  });
});
