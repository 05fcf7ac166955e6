/**
 * Results of the Kafka benchmark (bench/kafka/run.ts writes them to bench/results/kafka.json):
 * their shape, the measurement arithmetic, the Sluice/Flink table with ratios, and the verdict
 * per target (issue 11). Pure: the driver, bench/kafka/print.ts and bench/generate-doc-tables.ts
 * print the same text from the same functions, so the doc's verdict is the tool's.
 *
 * Targets, per parallelism: Sluice ≥ 1.0× Flink on events/s per worker and on events per
 * CPU-second (throughput scenario), and Sluice's p99 latency ≤ Flink's (latency scenario).
 */
import type { HistogramData } from '../runtime/stats.ts';
import { parseProvenance, type Provenance } from '../provenance.ts';

/** The two engines. */
export type Engine = 'sluice' | 'flink';

/** One throughput run: the whole input topic through the job, exactly once. */
export interface ThroughputRow {
  engine: Engine;
  parallelism: number;
  /** Input records (= output records, checked). */
  records: number;
  /** Job start → the output's last stable offset reached its final value (everything committed), s. */
  wallSeconds: number;
  /** CPU time of the measured process trees over the same interval, s (null when unreadable). */
  cpuSeconds: number | null;
  eventsPerSecond: number;
  eventsPerSecondPerWorker: number;
  eventsPerCpuSecond: number | null;
  /** Sluice: spawn of the workers → all running and connected, s (part of wallSeconds). */
  startSeconds?: number;
  /** Checkpoints completed by the end (Sluice: the driver's count; Flink: not counted, null). */
  checkpoints: number | null;
  /** Flink: the discarded warm-up run in the same JVM (records, s). */
  warmup?: { records: number; seconds: number };
}

/** One latency run: records produced at a fixed rate, each stamped with its produce time. */
export interface LatencyRow {
  engine: Engine;
  parallelism: number;
  /** Produce rate, records/s. */
  rate: number;
  records: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  histogram: HistogramData;
}

/** A verdict of one target. */
export interface Verdict {
  parallelism: number;
  target: string;
  /** Sluice / Flink (throughput), or Flink p99 / Sluice p99 (latency: ≥ 1 means Sluice's is not higher); null when unknown. */
  ratio: number | null;
  verdict: 'PASS' | 'MISS' | 'UNKNOWN';
}

/** The results file. */
export interface KafkaResults {
  provenance: Provenance;
  throughput: ThroughputRow[];
  latency: LatencyRow[];
  /** The correctness checks that passed (a failed one fails the run, and no file is written). */
  checks: string[];
  /** The verdicts the tool printed ({@link verdicts} of the rows above). */
  verdicts: Verdict[];
}

/** A sample of the measurement loop: time (ms, any origin), Σ last stable offsets of the output, CPU (ms). */
export interface OffsetSample {
  t: number;
  stable: bigint;
  cpuMs: number;
}

/**
 * Wall time and CPU from the start sample to the first sample at which the output's summed last
 * stable offset had reached `finalStable` (its value once the job is done: every record
 * committed). The figures are late by at most one sampling interval.
 * @throws Error when no sample reached `finalStable`, or samples is empty
 */
export function completion(
  start: { t: number; cpuMs: number },
  samples: OffsetSample[],
  finalStable: bigint,
): { wallSeconds: number; cpuSeconds: number | null } {
  const end = samples.find((s) => s.stable >= finalStable);
  if (!end)
    throw new Error(
      `no sample reached the final last stable offset ${finalStable} (${samples.length} samples)`,
    );
  const cpu = end.cpuMs - start.cpuMs;
  return {
    wallSeconds: (end.t - start.t) / 1000,
    cpuSeconds: Number.isFinite(cpu) ? cpu / 1000 : null,
  };
}

/** A throughput row from its measurements. */
export function throughputRow(
  engine: Engine,
  parallelism: number,
  records: number,
  m: { wallSeconds: number; cpuSeconds: number | null },
  extra: {
    checkpoints?: number | null;
    startSeconds?: number;
    warmup?: { records: number; seconds: number };
  } = {},
): ThroughputRow {
  const eps = records / m.wallSeconds;
  return {
    engine,
    parallelism,
    records,
    wallSeconds: m.wallSeconds,
    cpuSeconds: m.cpuSeconds,
    eventsPerSecond: eps,
    eventsPerSecondPerWorker: eps / parallelism,
    eventsPerCpuSecond: m.cpuSeconds && m.cpuSeconds > 0 ? records / m.cpuSeconds : null,
    ...(extra.startSeconds !== undefined ? { startSeconds: extra.startSeconds } : {}),
    checkpoints: extra.checkpoints ?? null,
    ...(extra.warmup ? { warmup: extra.warmup } : {}),
  };
}

const ratioOf = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a != null && b != null && b > 0 && Number.isFinite(a) && Number.isFinite(b) ? a / b : null;

const judge = (r: number | null): Verdict['verdict'] => (r === null ? 'UNKNOWN' : r >= 1 ? 'PASS' : 'MISS');

/** The parallelisms that have rows, ascending. */
function parallelisms(r: Pick<KafkaResults, 'throughput' | 'latency'>): number[] {
  return [...new Set([...r.throughput, ...r.latency].map((x) => x.parallelism))].sort((a, b) => a - b);
}

/**
 * Why the rows must not be compared: per parallelism, Sluice and Flink rows over different
 * inputs (record count; latency: rate or record count), or an engine's row given twice.
 * Empty when they may.
 */
export function rowProblems(r: Pick<KafkaResults, 'throughput' | 'latency'>): string[] {
  const out: string[] = [];
  for (const [what, rows, fields] of [
    ['throughput', r.throughput, ['records']],
    ['latency', r.latency, ['rate', 'records']],
  ] as const) {
    for (const p of parallelisms(r)) {
      const s = (rows as Array<ThroughputRow | LatencyRow>).filter(
        (x) => x.engine === 'sluice' && x.parallelism === p,
      );
      const f = (rows as Array<ThroughputRow | LatencyRow>).filter(
        (x) => x.engine === 'flink' && x.parallelism === p,
      );
      if (s.length > 1 || f.length > 1) out.push(`${what} p=${p}: more than one row of an engine`);
      if (s[0] && f[0])
        for (const k of fields) {
          const a = (s[0] as unknown as Record<string, number>)[k];
          const b = (f[0] as unknown as Record<string, number>)[k];
          if (a !== b) out.push(`${what} p=${p}: ${k} ${a} (Sluice) ≠ ${b} (Flink)`);
        }
    }
  }
  return out;
}

/**
 * The verdict of each target at each parallelism: events/s per worker and events per
 * CPU-second, Sluice/Flink ≥ 1.0; p99 latency, Sluice ≤ Flink. A missing row or figure is UNKNOWN.
 */
export function verdicts(r: Pick<KafkaResults, 'throughput' | 'latency'>): Verdict[] {
  const out: Verdict[] = [];
  for (const p of parallelisms(r)) {
    const ts = r.throughput.find((x) => x.engine === 'sluice' && x.parallelism === p);
    const tf = r.throughput.find((x) => x.engine === 'flink' && x.parallelism === p);
    const ls = r.latency.find((x) => x.engine === 'sluice' && x.parallelism === p);
    const lf = r.latency.find((x) => x.engine === 'flink' && x.parallelism === p);
    const perWorker = ratioOf(ts?.eventsPerSecondPerWorker, tf?.eventsPerSecondPerWorker);
    const perCpu = ratioOf(ts?.eventsPerCpuSecond, tf?.eventsPerCpuSecond);
    const p99 = ratioOf(lf?.p99Ms, ls?.p99Ms);
    out.push({
      parallelism: p,
      target: 'events/s per worker: Sluice ≥ 1.0× Flink',
      ratio: perWorker,
      verdict: judge(perWorker),
    });
    out.push({
      parallelism: p,
      target: 'events per CPU-second: Sluice ≥ 1.0× Flink',
      ratio: perCpu,
      verdict: judge(perCpu),
    });
    out.push({
      parallelism: p,
      target: 'p99 latency: Sluice ≤ Flink (ratio: Flink/Sluice)',
      ratio: p99,
      verdict: judge(p99),
    });
  }
  return out;
}

const int = (n: number | null | undefined): string =>
  n == null ? '—' : Math.round(n).toLocaleString('en-US');
const dec = (n: number | null | undefined, d = 1): string => (n == null ? '—' : n.toFixed(d));
const times = (n: number | null): string => (n === null ? '—' : `${n.toFixed(2)}×`);

/** Markdown table rows (header first) from cells; columns after the first are right-aligned. */
function table(head: string[], rows: string[][], left = 1): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i < left ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/**
 * The comparison as Markdown lines: per parallelism a throughput table and a latency table with
 * Sluice/Flink ratios, then the verdicts given (the tool's).
 */
export function comparisonLines(r: Pick<KafkaResults, 'throughput' | 'latency' | 'verdicts'>): string[] {
  const out: string[] = [];
  for (const p of parallelisms(r)) {
    const ts = r.throughput.find((x) => x.engine === 'sluice' && x.parallelism === p);
    const tf = r.throughput.find((x) => x.engine === 'flink' && x.parallelism === p);
    const ls = r.latency.find((x) => x.engine === 'sluice' && x.parallelism === p);
    const lf = r.latency.find((x) => x.engine === 'flink' && x.parallelism === p);
    if (ts || tf) {
      out.push(`Throughput, parallelism ${p}, ${int((ts ?? tf)!.records)} records:`, '');
      const row = (
        what: string,
        f: (x: ThroughputRow) => number | null,
        fmt: (n: number | null) => string,
      ) => [
        what,
        fmt(ts ? f(ts) : null),
        fmt(tf ? f(tf) : null),
        times(ratioOf(ts ? f(ts) : null, tf ? f(tf) : null)),
      ];
      out.push(
        ...table(
          ['figure', 'Sluice', 'Flink', 'Sluice/Flink'],
          [
            row(
              'wall time, s',
              (x) => x.wallSeconds,
              (n) => dec(n, 2),
            ),
            row('events/s', (x) => x.eventsPerSecond, int),
            row('events/s per worker', (x) => x.eventsPerSecondPerWorker, int),
            row(
              'CPU, s',
              (x) => x.cpuSeconds,
              (n) => dec(n, 2),
            ),
            row('events per CPU-second', (x) => x.eventsPerCpuSecond, int),
          ],
        ),
        '',
      );
    }
    if (ls || lf) {
      out.push(
        `Latency, parallelism ${p}, ${int((ls ?? lf)!.records)} records at ${int((ls ?? lf)!.rate)} records/s:`,
        '',
      );
      const row = (what: string, f: (x: LatencyRow) => number) => [
        what,
        dec(ls ? f(ls) : null),
        dec(lf ? f(lf) : null),
        times(ratioOf(ls ? f(ls) : null, lf ? f(lf) : null)),
      ];
      out.push(
        ...table(
          ['latency, ms', 'Sluice', 'Flink', 'Sluice/Flink'],
          [
            row('p50', (x) => x.p50Ms),
            row('p99', (x) => x.p99Ms),
            row('max', (x) => x.maxMs),
            row('mean', (x) => x.meanMs),
          ],
        ),
        '',
      );
    }
  }
  out.push(
    ...table(
      ['p', 'target', 'ratio', 'verdict'],
      r.verdicts.map((v) => [String(v.parallelism), v.target, times(v.ratio), `**${v.verdict}**`]),
      2,
    ),
  );
  return out;
}

/**
 * Checks the shape of a results file and that its verdicts are the ones its rows give.
 * @throws Error naming `what` and the problem
 */
export function parseKafkaResults(v: unknown, what: string): KafkaResults {
  const r = v as KafkaResults;
  if (typeof r !== 'object' || r === null) throw new Error(`${what}: not an object`);
  parseProvenance(r.provenance, what);
  for (const k of ['throughput', 'latency', 'checks', 'verdicts'] as const)
    if (!Array.isArray(r[k])) throw new Error(`${what}: ${k} must be an array`);
  const problems = rowProblems(r);
  if (problems.length) throw new Error(`${what}: rows must not be compared:\n- ${problems.join('\n- ')}`);
  if (JSON.stringify(verdicts(r)) !== JSON.stringify(r.verdicts))
    throw new Error(`${what}: its verdicts are not the ones its rows give (edited by hand?)`);
  return r;
}

/**
 * The docs/benchmarks.md block of a committed results file (bench/generate-doc-tables.ts,
 * marker `<!-- bench-kafka file=… -->`): provenance line, tables and verdicts.
 * @throws Error from {@link parseKafkaResults}
 */
export function renderKafkaBlock(file: string, raw: unknown): string {
  const r = parseKafkaResults(raw, file);
  const p = r.provenance;
  const load = (xs: number[] | null) => (xs ? xs[0]!.toFixed(2) : '?');
  return [
    '<!-- generated by node bench/generate-doc-tables.ts from the file named above; do not edit -->',
    '',
    `${file}: run ${p.runId}, commit ${p.git.commit.slice(0, 7)}${p.git.dirty ? ' (dirty)' : ''}, ${p.date}, ` +
      `${p.machine.cores} cores (${p.machine.cpuModel}), load average ${load(p.loadAverage.start)} → ${load(p.loadAverage.end)}; ` +
      Object.entries(p.tools)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') +
      '.',
    '',
    ...comparisonLines(r),
    '',
  ].join('\n');
}
