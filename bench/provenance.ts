/**
 * Where a results file comes from (docs/benchmarks.md "Provenance"): every benchmark run
 * records the machine, its load, the tools, the commit, the date and every parameter, and a run
 * id shared by the files of one comparison. `pairingProblems` is why bench/compare.ts and the
 * doc generator refuse to set two files side by side.
 */
import type { CheckpointResult, EngineResults, LatencyResult, ThroughputResult } from './compare-report.ts';

/** The provenance block of a results file. */
export interface Provenance {
  /** Identifies one benchmark run (`BENCH_RUN_ID`; `make bench` sets one for all its parts). */
  runId: string;
  /** ISO 8601 UTC start of the run. */
  date: string;
  machine: {
    cpuModel: string;
    /** CPUs available to the benchmark. */
    cores: number;
    /** Total memory, bytes. */
    memoryBytes: number;
  };
  /** 1, 5 and 15 min load averages at the start and end of the run. */
  loadAverage: { start: number[]; end: number[] | null };
  /** Versions of the tools that ran: node, java, flink, … (name → version). */
  tools: Record<string, string>;
  git: {
    commit: string;
    /** Uncommitted changes in the working tree when the run started. */
    dirty: boolean;
  };
  /**
   * The input every throughput row shares apart from its event count (generator settings:
   * partitions, corpus, Nexmark config). Both engines write the same shape.
   */
  inputs: Record<string, unknown>;
  /** Every parameter of the run as given or defaulted (CLI option → value). */
  parameters: Record<string, string | number | boolean>;
}

/**
 * Checks the shape of a provenance block.
 * @throws Error naming `what` and the first missing or mistyped field
 */
export function parseProvenance(v: unknown, what: string): Provenance {
  const fail = (m: string): never => {
    throw new Error(`${what}: provenance.${m}`);
  };
  const obj = (x: unknown, k: string): Record<string, unknown> =>
    typeof x === 'object' && x !== null && !Array.isArray(x)
      ? (x as Record<string, unknown>)
      : fail(`${k} must be an object`);
  const p = obj(v, '');
  for (const k of ['runId', 'date'])
    if (typeof p[k] !== 'string' || p[k] === '') fail(`${k} must be a non-empty string`);
  const m = obj(p.machine, 'machine');
  if (typeof m.cpuModel !== 'string') fail('machine.cpuModel must be a string');
  for (const k of ['cores', 'memoryBytes'])
    if (typeof m[k] !== 'number') fail(`machine.${k} must be a number`);
  const l = obj(p.loadAverage, 'loadAverage');
  if (!Array.isArray(l.start)) fail('loadAverage.start must be an array');
  const g = obj(p.git, 'git');
  if (typeof g.commit !== 'string') fail('git.commit must be a string');
  if (typeof g.dirty !== 'boolean') fail('git.dirty must be a boolean');
  obj(p.tools, 'tools');
  obj(p.inputs, 'inputs');
  obj(p.parameters, 'parameters');
  return p as unknown as Provenance;
}

/** Canonical JSON (sorted keys) for deep equality. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Rows of both files with the same key but a different value of `field`. */
function rowMismatches<T extends object>(
  what: string,
  s: T[],
  f: T[],
  key: (x: T) => string,
  label: (x: T) => string,
  fields: Array<keyof T & string>,
): string[] {
  const out: string[] = [];
  for (const a of s) {
    for (const b of f) {
      if (key(a) !== key(b)) continue;
      for (const field of fields) {
        if (a[field] !== b[field]) {
          out.push(
            `${what} ${label(a)}: ${field} ${String(a[field])} (Sluice) ≠ ${String(b[field])} (Flink)`,
          );
        }
      }
    }
  }
  return out;
}

/**
 * Why the two files must not be compared, empty when they may: missing provenance, different
 * runs, commits or machines, different generator inputs, or rows of the same scenario over
 * different inputs (throughput: same job and parallelism, other event count; latency: same job
 * and parallelism, other rate; checkpoints: same keys, other parallelism).
 */
export function pairingProblems(s: EngineResults, f: EngineResults): string[] {
  const ps = s.provenance as Provenance | undefined;
  const pf = f.provenance as Provenance | undefined;
  const out: string[] = [];
  if (!ps || !pf) {
    for (const [label, p] of [
      ['Sluice', ps],
      ['Flink', pf],
    ] as const)
      if (!p)
        out.push(
          `the ${label} results file has no provenance (written before results recorded where they come from)`,
        );
    return out;
  }
  if (ps.runId !== pf.runId) out.push(`different runs: ${ps.runId} (Sluice) ≠ ${pf.runId} (Flink)`);
  if (ps.git.commit !== pf.git.commit)
    out.push(`different commits: ${ps.git.commit} (Sluice) ≠ ${pf.git.commit} (Flink)`);
  for (const k of ['cpuModel', 'cores', 'memoryBytes'] as const) {
    if (ps.machine[k] !== pf.machine[k])
      out.push(`different machines: ${k} ${ps.machine[k]} (Sluice) ≠ ${pf.machine[k]} (Flink)`);
  }
  if (canonical(ps.inputs) !== canonical(pf.inputs))
    out.push(`different inputs: ${canonical(ps.inputs)} (Sluice) ≠ ${canonical(pf.inputs)} (Flink)`);
  const rows = new Set([
    ...rowMismatches<ThroughputResult>(
      'throughput',
      s.throughput,
      f.throughput,
      (t) => `${t.job} ${t.parallelism}`,
      (t) => `${t.job} p=${t.parallelism}`,
      ['events'],
    ),
    ...rowMismatches<LatencyResult>(
      'latency',
      s.latency,
      f.latency,
      (l) => `${l.job} ${l.parallelism}`,
      (l) => `${l.job} p=${l.parallelism}`,
      ['rate'],
    ),
    ...rowMismatches<CheckpointResult>(
      'checkpoints',
      s.checkpoints,
      f.checkpoints,
      (c) => String(c.keys),
      (c) => `${c.keys} keys`,
      ['parallelism'],
    ),
  ]);
  // A Flink scenario may have several variant rows: one line per mismatch.
  return [...out, ...rows];
}

/**
 * Why `old` (an earlier results file) must not be merged into a run with provenance `now`
 * (bench/runtime/run.ts --merge): a file holds one run, so its parts must share the run id and
 * the commit. Undefined when it may be merged.
 */
export function mergeRefusal(old: EngineResults, oldPath: string, now: Provenance): string | undefined {
  const p = old.provenance as Provenance | undefined;
  if (p?.runId === now.runId && p.git.commit === now.git.commit) return undefined;
  return (
    `${oldPath} is of run ${p?.runId ?? '(no provenance)'}${p ? ` (commit ${p.git.commit})` : ''}, ` +
    `this is run ${now.runId} (commit ${now.git.commit}); merge only parts of one run (same BENCH_RUN_ID and commit)`
  );
}
