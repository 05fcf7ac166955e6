/**
 * The shared result format of the side-by-side benchmark (bench/runtime writes
 * `bench/results/sluice-runtime.json`, bench/flink writes `bench/results/flink-runtime.json`):
 * parsing, pairing of rows, ratios and number formats. Targets: targets.ts; Markdown:
 * comparison-markdown.ts; where a file comes from: provenance.ts.
 */
import { parseProvenance, type Provenance } from './provenance.ts';

/** Throughput of one job at one parallelism. */
export interface ThroughputResult {
  job: string;
  parallelism: number;
  /** Events of the run (wordcount: input lines; Nexmark: generated events). */
  events: number;
  /** Steady-state events/s divided by the number of workers. */
  eventsPerSecondPerWorker: number;
  [extra: string]: unknown;
}

/** End-to-end latency at a fixed input rate. */
export interface LatencyResult {
  job: string;
  parallelism: number;
  /** Input rate, events/s over all workers (wordcount: lines/s). */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** How latency was measured and what buffering was configured. */
  settings: string;
  [extra: string]: unknown;
}

/** Checkpoint and restore at one state size. */
export interface CheckpointResult {
  keys: number;
  parallelism: number;
  /** Checkpoint request → last ack (coordinator view), ms. */
  durationMs: number;
  /** Snapshot size, bytes. */
  bytes: number;
  /** Spawn of a new attempt restoring the checkpoint → all workers running, ms. */
  restoreMs: number;
  backend: string;
  [extra: string]: unknown;
}

/** One engine's results file. */
export interface EngineResults {
  engine: string;
  version: string;
  runtime: string;
  machine: { cpus: number; model: string };
  throughput: ThroughputResult[];
  latency: LatencyResult[];
  checkpoints: CheckpointResult[];
  notes: string[];
  /** Where the file comes from (provenance.ts); absent in files written before it was recorded. */
  provenance?: Provenance;
  [extra: string]: unknown;
}

/**
 * Checks the shape of a parsed results file.
 * @param what names the file in error messages
 * @throws Error naming the first missing or mistyped field
 */
export function parseResults(v: unknown, what: string): EngineResults {
  const fail = (m: string): never => {
    throw new Error(`${what}: ${m}`);
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('not a JSON object');
  const r = v as Record<string, unknown>;
  for (const k of ['engine', 'version', 'runtime'])
    if (typeof r[k] !== 'string') fail(`"${k}" must be a string`);
  for (const k of ['throughput', 'latency', 'checkpoints', 'notes'])
    if (r[k] !== undefined && !Array.isArray(r[k])) fail(`"${k}" must be an array`);
  const num = (o: Record<string, unknown>, k: string, where: string) => {
    if (typeof o[k] !== 'number') fail(`${where}.${k} must be a number`);
  };
  const arr = (k: string) => (r[k] ?? []) as Array<Record<string, unknown>>;
  arr('throughput').forEach((t, i) => {
    for (const k of ['parallelism', 'events', 'eventsPerSecondPerWorker']) num(t, k, `throughput[${i}]`);
  });
  arr('latency').forEach((t, i) => {
    for (const k of ['parallelism', 'rate', 'p50Ms', 'p99Ms']) num(t, k, `latency[${i}]`);
  });
  arr('checkpoints').forEach((t, i) => {
    for (const k of ['keys', 'parallelism', 'durationMs', 'bytes', 'restoreMs'])
      num(t, k, `checkpoints[${i}]`);
  });
  const machine = (r.machine ?? {}) as { cpus?: unknown; model?: unknown };
  return {
    ...(r as object),
    engine: r.engine as string,
    version: r.version as string,
    runtime: r.runtime as string,
    machine: {
      cpus: typeof machine.cpus === 'number' ? machine.cpus : 0,
      model: typeof machine.model === 'string' ? machine.model : 'unknown',
    },
    throughput: arr('throughput') as ThroughputResult[],
    latency: arr('latency') as LatencyResult[],
    checkpoints: arr('checkpoints') as CheckpointResult[],
    notes: ((r.notes ?? []) as unknown[]).map(String),
    ...(r.provenance !== undefined ? { provenance: parseProvenance(r.provenance, what) } : {}),
  };
}

/** a / b, or undefined when either is missing or b is not positive. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0)
    return undefined;
  return a / b;
}

/** A ratio as `12×`, `1.23×`, `0.497×`; `—` when missing. */
export function fmtRatio(r: number | undefined): string {
  if (r === undefined) return '—';
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toFixed(3)}×`;
}

/** A number with thousands separators and `digits` decimals, `—` when missing. */
export function fmtNum(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Bytes as `3.3 MiB` / `312 KiB` / `900 B`, `—` when missing. */
export function fmtBytes(b: number | undefined): string {
  if (b === undefined || !Number.isFinite(b)) return '—';
  if (b >= 1024 * 1024) return `${(b / 1024 / 1024).toFixed(1)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(0)} KiB`;
  return `${b} B`;
}

/** An optional numeric extra field of a result row (e.g. eventsPerCpuSecond, freshStartMs). */
export function extra(row: Record<string, unknown> | undefined, field: string): number | undefined {
  const v = row?.[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** restoreMs − freshStartMs (the state part of a restore), when both are known. */
export function restoreOverFresh(c: CheckpointResult | undefined): number | undefined {
  const fresh = extra(c, 'freshStartMs');
  return c && fresh !== undefined ? c.restoreMs - fresh : undefined;
}

/** What distinguishes rows of the same scenario: `variant`, else a Flink buffer timeout, else ''. */
export function variantOf(row: Record<string, unknown> | undefined): string {
  if (typeof row?.variant === 'string') return row.variant;
  const bt = extra(row, 'bufferTimeoutMs');
  return bt !== undefined ? `buffer timeout ${bt} ms` : '';
}

/** A Markdown table; `_no figures_` without rows. */
export function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '_no figures_';
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Pairs the rows of both engines that measure the same scenario (`key`), in first-seen order:
 * every Sluice row with every Flink row of its key (Flink may report several variants, e.g.
 * buffer timeouts or state backends), or alone when the other engine has none.
 */
export function pairRows<T>(s: T[], f: T[], key: (x: T) => string): Array<[T | undefined, T | undefined]> {
  const keys = [...new Set([...s, ...f].map(key))];
  const out: Array<[T | undefined, T | undefined]> = [];
  for (const k of keys) {
    const a = s.filter((x) => key(x) === k);
    const b = f.filter((x) => key(x) === k);
    if (a.length === 0) for (const y of b) out.push([undefined, y]);
    else if (b.length === 0) for (const x of a) out.push([x, undefined]);
    else for (const x of a) for (const y of b) out.push([x, y]);
  }
  return out;
}

/** Row keys: what makes two rows measure the same scenario. */
export const tKey = (t: ThroughputResult) => `${t.job}\u0000${t.parallelism}`;
export const lKey = (l: LatencyResult) => `${l.job}\u0000${l.parallelism}\u0000${l.rate}`;
export const cKey = (c: CheckpointResult) => `${c.keys}\u0000${c.parallelism}`;
