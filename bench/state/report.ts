/**
 * The results file of the state benchmark (bench/state/run.ts) and its printed tables: the
 * incremental-checkpoint figures per key count, the memory-budget runs and the heap/rocksdb
 * throughput pairs. `node bench/state/report.ts [file]` prints a results file again.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Provenance } from '../provenance.ts';
import type { FlinkStateResults } from './flink-side.ts';
import type { MeasuredCheckpoint } from './gated-job.ts';
import type { IncrementalRun } from './incremental.ts';
import type { MemoryRun } from './memory.ts';

/** One throughput run of one backend. */
export interface StateThroughput {
  job: string;
  backend: 'heap' | 'rocksdb';
  parallelism: number;
  events: number;
  /** Steady-state input events/s per worker. */
  eventsPerSecondPerWorker: number;
  /** CPU cores busy over the steady window (driver + worker process tree). */
  cpuCores: number | null;
  eventsPerCpuSecond: number | null;
  steadySeconds: number;
  wholeRunSeconds: number;
}

/** The results file (bench/results/state.json). */
export interface StateResults {
  engine: 'sluice';
  version: string;
  runtime: string;
  machine: { cpus: number; model: string };
  provenance: Provenance;
  incremental: IncrementalRun[];
  memory: MemoryRun[];
  throughput: StateThroughput[];
  /** The Flink side of the incremental scenario (flink-side.ts), when it ran. */
  flink?: FlinkStateResults;
  notes: string[];
}

/** What the checkpoint tables read of a checkpoint (Sluice's or Flink's). */
type CheckpointFigures = Pick<MeasuredCheckpoint, 'durationMs' | 'bytes' | 'uploadedBytes'>;

const MIB = 2 ** 20;
const mib = (b: number): string => (Number.isFinite(b) ? (b / MIB).toFixed(1) : '–');
const int = (n: number | null): string =>
  n === null || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US');

/** A markdown table. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Summary of the checkpoints after the first one (the update rounds). Their uploads are bimodal
 * (a flush's new files, or besides them the files a compaction rewrote), so min / mean / max
 * rather than a median.
 */
export function laterSummary(cs: CheckpointFigures[]): {
  minMs: number;
  maxMs: number;
  minUploaded: number;
  meanUploaded: number;
  maxUploaded: number;
  lastBytes: number;
} {
  const later = cs.slice(1);
  const ms = later.map((c) => c.durationMs);
  const up = later.map((c) => c.uploadedBytes);
  return {
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    minUploaded: Math.min(...up),
    meanUploaded: up.reduce((a, b) => a + b, 0) / up.length,
    maxUploaded: Math.max(...up),
    lastBytes: later.at(-1)?.bytes ?? NaN,
  };
}

/** Table of the incremental scenario (and of the memory runs' checkpoints), one row per run. */
export function incrementalTable(
  rows: Array<{ label: string; keys: number; fraction: number; cs: CheckpointFigures[] }>,
): string {
  return table(
    [
      'run',
      'keys',
      'first ckpt ms',
      'first uploaded = full MiB',
      'later ckpts',
      'later ms min–max',
      'later uploaded MiB min / mean / max',
      'full MiB (last)',
      'uploaded ÷ full min / mean / max',
    ],
    rows.map((r) => {
      const first = r.cs[0]!;
      const l = laterSummary(r.cs);
      const pct = (b: number) => `${((b / l.lastBytes) * 100).toFixed(1)} %`;
      return [
        r.label,
        int(r.keys),
        int(first.durationMs),
        `${mib(first.uploadedBytes)} = ${mib(first.bytes)}`,
        `${r.cs.length - 1}, each after ${(r.fraction * 100).toFixed(0)} % of keys changed`,
        `${int(l.minMs)}–${int(l.maxMs)}`,
        `${mib(l.minUploaded)} / ${mib(l.meanUploaded)} / ${mib(l.maxUploaded)}`,
        mib(l.lastBytes),
        `${pct(l.minUploaded)} / ${pct(l.meanUploaded)} / ${pct(l.maxUploaded)}`,
      ];
    }),
  );
}

/** Table of the memory scenario. */
export function memoryTable(runs: MemoryRun[]): string {
  return table(
    [
      'backend',
      'limit MiB',
      'RocksDB budget MiB',
      'old space MiB',
      'keys held',
      'outcome',
      'load s',
      'peak RSS (VmHWM) MiB',
      'peak ÷ limit',
    ],
    runs.map((m) => [
      m.backend,
      mib(m.limitBytes),
      m.stateMemoryBytes === null ? '–' : mib(m.stateMemoryBytes),
      String(m.oldSpaceMiB),
      int(m.keysLoaded),
      m.outcome,
      m.loadSeconds.toFixed(0),
      mib(m.hwmBytes),
      `${((m.hwmBytes / m.limitBytes) * 100).toFixed(0)} %`,
    ]),
  );
}

/** Table of the throughput pairs: rocksdb against heap per job. */
export function throughputTable(ts: StateThroughput[]): string {
  const jobs = [...new Set(ts.map((t) => t.job))];
  return table(
    [
      'job',
      'events',
      'heap ev/s',
      'rocksdb ev/s',
      'rocksdb ÷ heap',
      'heap ev/CPU-s',
      'rocksdb ev/CPU-s',
      'rocksdb ÷ heap (CPU)',
    ],
    jobs.map((j) => {
      const h = ts.find((t) => t.job === j && t.backend === 'heap');
      const r = ts.find((t) => t.job === j && t.backend === 'rocksdb');
      const ratio = (a?: number | null, b?: number | null) => (a && b ? `${(a / b).toFixed(2)}×` : '–');
      return [
        j,
        int(h?.events ?? r?.events ?? NaN),
        int(h?.eventsPerSecondPerWorker ?? NaN),
        int(r?.eventsPerSecondPerWorker ?? NaN),
        ratio(r?.eventsPerSecondPerWorker, h?.eventsPerSecondPerWorker),
        int(h?.eventsPerCpuSecond ?? null),
        int(r?.eventsPerCpuSecond ?? null),
        ratio(r?.eventsPerCpuSecond, h?.eventsPerCpuSecond),
      ];
    }),
  );
}

/** Prints the provenance line and every table of `r` on stdout. */
/** The checkpoint rows of a results file: the incremental runs, then memory runs with update rounds. */
function checkpointRows(r: StateResults): Parameters<typeof incrementalTable>[0] {
  return [
    ...r.incremental.map((i) => ({
      label: 'Sluice incremental',
      keys: i.keys,
      fraction: i.updateFraction,
      cs: i.checkpoints,
    })),
    ...(r.flink?.incremental ?? []).map((i) => ({
      label: `Flink ${r.flink!.version} incremental`,
      keys: i.keys,
      fraction: i.updateFraction,
      cs: i.checkpoints,
    })),
    ...r.memory
      .filter((m) => m.checkpoints.length > 1)
      .map((m) => ({
        label: `memory (${m.changeKind})`,
        keys: m.keysLoaded,
        fraction: m.updateFraction,
        cs: m.checkpoints,
      })),
  ];
}

/** One of a results file's tables, as docs/benchmarks.md shows it (bench/generate-doc-tables.ts). */
export function stateDocTable(r: StateResults, which: 'incremental' | 'memory' | 'throughput'): string {
  if (which === 'incremental') return incrementalTable(checkpointRows(r));
  return which === 'memory' ? memoryTable(r.memory) : throughputTable(r.throughput);
}

export function printResults(r: StateResults): void {
  const p = r.provenance;
  console.log(
    `\n${r.version}, ${r.runtime}; run ${p.runId}, ${p.date}, commit ${p.git.commit}${p.git.dirty ? ' (dirty)' : ''}; ${p.machine.cores} CPUs (${p.machine.cpuModel}), ${(p.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB; load average ${p.loadAverage.start.join(' ')} at start, ${p.loadAverage.end?.join(' ') ?? '?'} at end`,
  );
  const inc = checkpointRows(r);
  if (inc.length) {
    console.log('\nRocksDB incremental checkpoints (durations: trigger → ack, commit delivered)\n');
    console.log(incrementalTable(inc));
    for (const [engine, runs] of [
      ['Sluice', r.incremental],
      ['Flink', r.flink?.incremental ?? []],
    ] as const)
      for (const i of runs)
        console.log(
          `  ${engine}, ${int(i.keys)} keys, uploaded MiB per checkpoint: ${i.checkpoints.map((c) => mib(c.uploadedBytes)).join(', ')}`,
        );
  }
  if (r.memory.length) {
    console.log('\nState larger than memory (one worker)\n');
    console.log(memoryTable(r.memory));
  }
  if (r.throughput.length) {
    console.log('\nThroughput, parallelism 1, rocksdb against heap (same run, same input)\n');
    console.log(throughputTable(r.throughput));
  }
}

if (import.meta.filename === process.argv[1]) {
  const file = resolve(process.argv[2] ?? resolve(import.meta.dirname, '..', 'results', 'state.json'));
  printResults(JSON.parse(readFileSync(file, 'utf8')) as StateResults);
}
