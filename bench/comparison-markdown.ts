/**
 * The side-by-side comparison as Markdown: provenance, throughput, latency and checkpoint
 * tables with Sluice/Flink ratios, and the targets' verdict (targets.ts). bench/compare.ts prints
 * the whole report; bench/generate-doc-tables.ts puts the same sections into docs/benchmarks.md.
 */
import {
  cKey,
  extra,
  fmtBytes,
  fmtNum,
  fmtRatio,
  lKey,
  pairRows,
  ratio,
  restoreOverFresh,
  table,
  tKey,
  variantOf,
  type EngineResults,
} from './compare-report.ts';
import type { Provenance } from './provenance.ts';
import { evaluateTargets } from './targets.ts';

type Side = EngineResults | undefined;

/** One line per engine: version, runtime, and where the file comes from. */
export function provenanceLines(s: Side, f: Side): string[] {
  return (
    [
      ['Sluice', s],
      ['Flink', f],
    ] as const
  ).map(([label, r]) => {
    if (!r) return `- ${label}: no results file`;
    const p = r.provenance as Provenance | undefined;
    const head = `- ${label}: ${r.engine} ${r.version}, ${r.runtime}`;
    if (!p) return `${head}, ${r.machine.cpus} CPUs (${r.machine.model}); no provenance recorded`;
    const tools = Object.entries(p.tools)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return (
      `${head}; run ${p.runId}, ${p.date}, commit ${p.git.commit}${p.git.dirty ? ' (dirty)' : ''}; ` +
      `${p.machine.cores} CPUs (${p.machine.cpuModel}), ${fmtNum(p.machine.memoryBytes / 2 ** 30, 1)} GiB; ` +
      `load average ${p.loadAverage.start.join(' ')} at start, ${p.loadAverage.end?.join(' ') ?? '—'} at end; ${tools}`
    );
  });
}

export function throughputTable(s: Side, f: Side): string {
  return table(
    [
      'job',
      'parallelism',
      'events',
      'Flink variant',
      'per worker Sluice',
      'Flink',
      'Sluice/Flink',
      'per CPU-s Sluice',
      'Flink',
      'Sluice/Flink',
    ],
    pairRows(s?.throughput ?? [], f?.throughput ?? [], tKey).map(([a, b]) => {
      const any = (a ?? b)!;
      const ca = extra(a, 'eventsPerCpuSecond');
      const cb = extra(b, 'eventsPerCpuSecond');
      return [
        any.job,
        String(any.parallelism),
        fmtNum(any.events),
        variantOf(b) || '—',
        fmtNum(a?.eventsPerSecondPerWorker),
        fmtNum(b?.eventsPerSecondPerWorker),
        fmtRatio(ratio(a?.eventsPerSecondPerWorker, b?.eventsPerSecondPerWorker)),
        fmtNum(ca),
        fmtNum(cb),
        fmtRatio(ratio(ca, cb)),
      ];
    }),
  );
}

export function latencyTable(s: Side, f: Side): string {
  return table(
    [
      'job',
      'parallelism',
      'rate (events/s)',
      'Flink variant',
      'p50 Sluice',
      'Flink',
      'Sluice/Flink',
      'p99 Sluice',
      'Flink',
      'Sluice/Flink',
    ],
    pairRows(s?.latency ?? [], f?.latency ?? [], lKey).map(([a, b]) => {
      const any = (a ?? b)!;
      return [
        any.job,
        String(any.parallelism),
        fmtNum(any.rate),
        variantOf(b) || '—',
        fmtNum(a?.p50Ms, 2),
        fmtNum(b?.p50Ms, 2),
        fmtRatio(ratio(a?.p50Ms, b?.p50Ms)),
        fmtNum(a?.p99Ms, 2),
        fmtNum(b?.p99Ms, 2),
        fmtRatio(ratio(a?.p99Ms, b?.p99Ms)),
      ];
    }),
  );
}

export function checkpointTable(s: Side, f: Side): string {
  const byKeys = (r: Side) => [...(r?.checkpoints ?? [])].sort((x, y) => x.keys - y.keys);
  return table(
    [
      'keys',
      'parallelism',
      'Flink backend',
      'checkpoint Sluice',
      'Flink',
      'Sluice/Flink',
      'size Sluice',
      'Flink',
      'Sluice/Flink',
      'restore Sluice',
      'Flink',
      'Sluice/Flink',
      'restore − fresh Sluice',
      'Flink',
      'Sluice/Flink',
    ],
    pairRows(byKeys(s), byKeys(f), cKey).map(([a, b]) => {
      const any = (a ?? b)!;
      const da = restoreOverFresh(a);
      const db = restoreOverFresh(b);
      return [
        fmtNum(any.keys),
        String(any.parallelism),
        b?.backend ?? '—',
        fmtNum(a?.durationMs),
        fmtNum(b?.durationMs),
        fmtRatio(ratio(a?.durationMs, b?.durationMs)),
        fmtBytes(a?.bytes),
        fmtBytes(b?.bytes),
        fmtRatio(ratio(a?.bytes, b?.bytes)),
        fmtNum(a?.restoreMs),
        fmtNum(b?.restoreMs),
        fmtRatio(ratio(a?.restoreMs, b?.restoreMs)),
        fmtNum(da),
        fmtNum(db),
        fmtRatio(ratio(da, db)),
      ];
    }),
  );
}

/** The verdict: one line per target. */
export function targetLines(s: Side, f: Side): string[] {
  return evaluateTargets(s, f).map((t) => `- **${t.outcome}** — ${t.target}: ${t.detail}`);
}

/**
 * The tables and verdict under headings of `level` (`#` count). Used for the report and for
 * the generated block of docs/benchmarks.md.
 */
export function comparisonSections(s: Side, f: Side, level: number): string[] {
  const h = '#'.repeat(level);
  const parts: string[] = [];
  parts.push(
    `${h} Throughput (higher is better, ratio > 1 favours Sluice)`,
    '',
    'Input events/s per worker (wordcount: lines; Nexmark: generated events), and per CPU-second where reported (events/s ÷ CPU cores the engine used).',
    '',
    throughputTable(s, f),
    '',
    `${h} End-to-end latency (ms; lower is better, ratio < 1 favours Sluice)`,
    '',
    latencyTable(s, f),
    '',
  );
  for (const [label, r] of [
    ['Sluice', s],
    ['Flink', f],
  ] as const) {
    for (const l of r?.latency ?? [])
      parts.push(`- ${label} latency settings (${l.job} p=${l.parallelism}): ${l.settings}`);
  }
  if (s?.latency.length || f?.latency.length) parts.push('');
  parts.push(
    `${h} Checkpoint and restore (lower is better, ratio < 1 favours Sluice)`,
    '',
    'Checkpoint: request → completed, ms. Size: snapshot bytes. Restore: start of a new attempt restoring the checkpoint → all workers running, ms; restore − fresh: the same minus a start without state (Sluice spawns new processes, Flink submits to a running cluster).',
    '',
    checkpointTable(s, f),
    '',
  );
  const backends = [
    ...new Set([
      ...(s?.checkpoints ?? []).map((c) => `Sluice ${c.backend}`),
      ...(f?.checkpoints ?? []).map((c) => `Flink ${c.backend}`),
    ]),
  ];
  if (backends.length) parts.push(`State backends: ${backends.join(', ')}.`, '');
  parts.push(`${h} Targets`, '', ...targetLines(s, f), '');
  return parts;
}

/** The whole report printed by bench/compare.ts: provenance, sections, each engine's notes. */
export function renderComparison(s: Side, f: Side): string {
  const parts: string[] = ['# Sluice vs Flink: runtime benchmark', '', ...provenanceLines(s, f), ''];
  parts.push(...comparisonSections(s, f, 2));
  for (const [label, r] of [
    ['Sluice', s],
    ['Flink', f],
  ] as const) {
    if (!r?.notes.length) continue;
    parts.push(`## ${label} notes`, '', ...r.notes.map((n) => `- ${n}`), '');
  }
  return parts.join('\n');
}
