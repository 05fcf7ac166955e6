import { parseResults } from './compare-report.ts';
import { flink, provenance, sluice } from './compare-fixtures.ts';
import { mergeRefusal, pairingProblems, parseProvenance } from './provenance.ts';

describe('pairingProblems', () => {
  it('accepts two files of one run, commit, machine and input', () => {
    expect(pairingProblems(sluice, flink)).toEqual([]);
  });

  it('refuses files of different runs, commits or machines', () => {
    const other = {
      ...flink,
      provenance: {
        ...provenance,
        runId: 'run-2',
        git: { commit: 'def456', dirty: false },
        machine: { ...provenance.machine, cores: 4 },
      },
    };
    expect(pairingProblems(sluice, other)).toEqual([
      'different runs: run-1 (Sluice) ≠ run-2 (Flink)',
      'different commits: abc123 (Sluice) ≠ def456 (Flink)',
      'different machines: cores 2 (Sluice) ≠ 4 (Flink)',
    ]);
  });

  it('refuses different generator inputs and rows of one scenario over different inputs', () => {
    const other = {
      ...flink,
      provenance: { ...provenance, inputs: { ...provenance.inputs, nexmark: { partitions: 8 } } },
      throughput: flink.throughput.map((t) => (t.job === 'nexmark-q5' ? { ...t, events: 12_000 } : t)),
      latency: flink.latency.map((l) => ({ ...l, rate: 10_000 })),
      checkpoints: flink.checkpoints.map((c) => ({ ...c, parallelism: 4 })),
    };
    const problems = pairingProblems(sluice, other);
    expect(problems[0]).toMatch(
      /^different inputs: .*"partitions":4.* \(Sluice\) ≠ .*"partitions":8.* \(Flink\)$/,
    );
    expect(problems.slice(1)).toEqual([
      'throughput nexmark-q5 p=2: events 1000 (Sluice) ≠ 12000 (Flink)',
      'latency wordcount p=2: rate 50000 (Sluice) ≠ 10000 (Flink)',
      'checkpoints 1000000 keys: parallelism 2 (Sluice) ≠ 4 (Flink)',
    ]);
  });

  it('refuses a file without provenance', () => {
    const { provenance: _, ...old } = flink;
    expect(pairingProblems(sluice, old)).toEqual([
      'the Flink results file has no provenance (written before results recorded where they come from)',
    ]);
  });
});

describe('parseProvenance', () => {
  it('names the file and the field that is wrong', () => {
    expect(() => parseProvenance({ ...provenance, git: { commit: 'x' } }, 'f.json')).toThrow(
      'f.json: provenance.git.dirty must be a boolean',
    );
    expect(() =>
      parseResults({ engine: 'e', version: 'v', runtime: 'r', provenance: { runId: '' } }, 'g.json'),
    ).toThrow('g.json: provenance.runId must be a non-empty string');
    expect(parseProvenance(JSON.parse(JSON.stringify(provenance)), 'f.json')).toEqual(provenance);
  });
});

describe('mergeRefusal', () => {
  it('merges only parts of one run on one commit', () => {
    expect(mergeRefusal(sluice, 'old.json', provenance)).toBeUndefined();
    expect(mergeRefusal(sluice, 'old.json', { ...provenance, runId: 'run-2' })).toBe(
      'old.json is of run run-1 (commit abc123), this is run run-2 (commit abc123); merge only parts of one run (same BENCH_RUN_ID and commit)',
    );
    const { provenance: _, ...noProvenance } = sluice;
    expect(mergeRefusal(noProvenance, 'old.json', provenance)).toMatch(
      /^old.json is of run \(no provenance\), this is run run-1/,
    );
  });
});
