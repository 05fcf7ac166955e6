import { flink, sluice } from './compare-fixtures.ts';
import { evaluateTargets } from './targets.ts';

describe('evaluateTargets', () => {
  it('judges throughput per job at 1.0× Flink per worker and per CPU-second, scaling, latency and 1M-key checkpoints', () => {
    const t = evaluateTargets(sluice, flink);
    expect(t.map((x) => [x.outcome, x.target, x.detail])).toEqual([
      [
        'miss',
        'throughput ≥ 1.0× Flink per worker and per CPU-second on wordcount',
        'per worker: p=1 0.600×, p=2 0.400×; per CPU-second: p=2 0.900×',
      ],
      [
        'miss',
        'throughput ≥ 1.0× Flink per worker and per CPU-second on nexmark-q5',
        'per worker: p=2 (object reuse off) 0.600×, p=2 (object reuse on) 1.20×; per CPU-second: p=2 (object reuse off) 0.400×, p=2 (object reuse on) 0.800×',
      ],
      ['miss', 'Sluice p=2 total throughput ≥ 1.7× p=1 on every job', 'wordcount 1.33×'],
      ['miss', 'Sluice wordcount latency p99 at 50,000 lines/s < 5 ms', 'p=2 p99 40.00 ms'],
      ['pass', 'checkpoint of 1M keys < 2 s (issue 7)', 'Sluice 1,500 ms at p=2'],
      ['miss', 'restore of 1M keys < 2 s (issue 7)', 'Sluice 2,500 ms at p=2'],
    ]);
  });

  it('passes a job only when every ratio reaches 1.0, and leaves it unknown while a figure is missing', () => {
    const fast = {
      ...sluice,
      throughput: sluice.throughput.map((x) => ({
        ...x,
        eventsPerSecondPerWorker: 1e6,
        eventsPerCpuSecond: 1e6,
      })),
      latency: sluice.latency.map((l) => ({ ...l, p99Ms: 4.9 })),
    };
    const t = evaluateTargets(fast, flink);
    // wordcount p=1 has no per-CPU figure on Flink's side: not judged.
    expect(t[0]!.outcome).toBe('unknown');
    expect(t[1]!.outcome).toBe('pass');
    expect(t[2]).toMatchObject({ outcome: 'pass', detail: 'wordcount 2.00×' });
    expect(t[3]!.outcome).toBe('pass');
  });

  it('reports unknown without a Flink file or the figures a target needs', () => {
    const t = evaluateTargets({ ...sluice, throughput: [], latency: [], checkpoints: [] }, undefined);
    expect(t.map((x) => x.outcome)).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
  });
});
