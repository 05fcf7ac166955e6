/**
 * The shared result format of the side-by-side benchmark (bench/runtime writes
 * `bench/results/sluice-runtime.json`, bench/flink writes `bench/results/flink-runtime.json`) and
 * the pure logic of bench/compare.ts: ratios, the Markdown table, the targets.
 */

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
function extra(row: Record<string, unknown> | undefined, field: string): number | undefined {
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

function table(header: string[], rows: string[][]): string {
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

const tKey = (t: ThroughputResult) => `${t.job}\u0000${t.parallelism}`;
const lKey = (l: LatencyResult) => `${l.job}\u0000${l.parallelism}\u0000${l.rate}`;
const cKey = (c: CheckpointResult) => `${c.keys}\u0000${c.parallelism}`;

/** Outcome of one of the targets. */
export interface TargetOutcome {
  target: string;
  /** `pass`/`miss`, or `unknown` when a figure is missing. */
  outcome: 'pass' | 'miss' | 'unknown';
  detail: string;
}

/** Throughput target: Sluice ≥ this fraction of Flink's throughput per core. */
export const THROUGHPUT_TARGET_RATIO = 0.5;
/** Checkpoint and restore targets at 1M keys, ms. */
export const CHECKPOINT_TARGET_MS = 2000;
export const RESTORE_TARGET_MS = 2000;
export const TARGET_KEYS = 1_000_000;

/**
 * The targets:
 * - runtime throughput per core ≥ 0.5× Flink on wordcount and on Nexmark: compared per worker
 *   (eventsPerSecondPerWorker) and, where both engines report it, per CPU-second
 *   (eventsPerCpuSecond); every comparison at every parallelism both measured must reach 0.5;
 * - checkpoint and restore of 1M keys < 2 s each: Sluice's own figures (lowest parallelism
 *   measured at 1M keys).
 */
export function evaluateTargets(s: EngineResults | undefined, f: EngineResults | undefined): TargetOutcome[] {
  const out: TargetOutcome[] = [];
  for (const [label, match] of [
    ['wordcount', (j: string) => j === 'wordcount'],
    ['Nexmark', (j: string) => j.startsWith('nexmark')],
  ] as const) {
    const target = `runtime throughput per core ≥ ${THROUGHPUT_TARGET_RATIO}× Flink on ${label}`;
    const perWorker: string[] = [];
    const perCpu: string[] = [];
    let pass = true;
    for (const [st, ft] of pairRows(s?.throughput ?? [], f?.throughput ?? [], tKey)) {
      if (!st || !ft || !match(st.job)) continue;
      const rw = ratio(st.eventsPerSecondPerWorker, ft.eventsPerSecondPerWorker);
      const rc = ratio(extra(st, 'eventsPerCpuSecond'), extra(ft, 'eventsPerCpuSecond'));
      for (const [r, list] of [
        [rw, perWorker],
        [rc, perCpu],
      ] as const) {
        if (r === undefined) continue;
        list.push(`${st.job} p=${st.parallelism} ${fmtRatio(r)}`);
        if (r < THROUGHPUT_TARGET_RATIO) pass = false;
      }
    }
    const detail = [
      perWorker.length ? `per worker: ${perWorker.join(', ')}` : '',
      perCpu.length ? `per CPU-second: ${perCpu.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    out.push(
      detail === ''
        ? { target, outcome: 'unknown', detail: 'no figure of both engines' }
        : { target, outcome: pass ? 'pass' : 'miss', detail },
    );
  }
  const at1M = (s?.checkpoints ?? [])
    .filter((c) => c.keys === TARGET_KEYS)
    .sort((a, b) => a.parallelism - b.parallelism)[0];
  for (const [target, value, limit] of [
    [`checkpoint of 1M keys < ${CHECKPOINT_TARGET_MS / 1000} s`, at1M?.durationMs, CHECKPOINT_TARGET_MS],
    [`restore of 1M keys < ${RESTORE_TARGET_MS / 1000} s`, at1M?.restoreMs, RESTORE_TARGET_MS],
  ] as const) {
    out.push(
      value === undefined
        ? { target, outcome: 'unknown', detail: 'no Sluice figure at 1M keys' }
        : {
            target,
            outcome: value < limit ? 'pass' : 'miss',
            detail: `Sluice ${fmtNum(value)} ms at p=${at1M!.parallelism}`,
          },
    );
  }
  return out;
}

/**
 * The side-by-side report in Markdown: one table per kind of figure with Sluice/Flink ratios
 * (one row per Flink variant: buffer timeout, state backend), then the targets and each
 * engine's notes. Either side may be missing.
 */
export function renderComparison(s: EngineResults | undefined, f: EngineResults | undefined): string {
  const parts: string[] = ['# Sluice vs Flink: runtime benchmark', ''];
  for (const [label, r] of [
    ['Sluice', s],
    ['Flink', f],
  ] as const) {
    parts.push(
      r
        ? `- ${label}: ${r.engine} ${r.version}, ${r.runtime}, ${r.machine.cpus} CPUs (${r.machine.model})`
        : `- ${label}: no results file`,
    );
  }
  parts.push('');

  parts.push(
    '## Throughput (higher is better, ratio > 1 favours Sluice)',
    '',
    'Input events/s per worker (wordcount: lines; Nexmark: generated events), and per CPU-second where reported (events/s ÷ CPU cores the engine used).',
    '',
  );
  parts.push(
    table(
      [
        'job',
        'parallelism',
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
          fmtNum(a?.eventsPerSecondPerWorker),
          fmtNum(b?.eventsPerSecondPerWorker),
          fmtRatio(ratio(a?.eventsPerSecondPerWorker, b?.eventsPerSecondPerWorker)),
          fmtNum(ca),
          fmtNum(cb),
          fmtRatio(ratio(ca, cb)),
        ];
      }),
    ),
    '',
  );

  const sl = s?.latency ?? [];
  const fl = f?.latency ?? [];
  parts.push('## End-to-end latency (ms; lower is better, ratio < 1 favours Sluice)', '');
  parts.push(
    table(
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
      pairRows(sl, fl, lKey).map(([a, b]) => {
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
    ),
    '',
  );
  for (const [label, r] of [
    ['Sluice', sl],
    ['Flink', fl],
  ] as const) {
    for (const l of r) parts.push(`- ${label} latency settings (${l.job} p=${l.parallelism}): ${l.settings}`);
  }
  if (sl.length || fl.length) parts.push('');

  parts.push(
    '## Checkpoint and restore (lower is better, ratio < 1 favours Sluice)',
    '',
    'Checkpoint: request → completed, ms. Size: snapshot bytes. Restore: start of a new attempt restoring the checkpoint → all workers running, ms; restore − fresh: the same minus a start without state (Sluice spawns new processes, Flink submits to a running cluster).',
    '',
  );
  parts.push(
    table(
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
      pairRows(
        [...(s?.checkpoints ?? [])].sort((x, y) => x.keys - y.keys),
        [...(f?.checkpoints ?? [])].sort((x, y) => x.keys - y.keys),
        cKey,
      ).map(([a, b]) => {
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
    ),
    '',
  );
  const backends = [
    ...new Set([
      ...(s?.checkpoints ?? []).map((c) => `Sluice ${c.backend}`),
      ...(f?.checkpoints ?? []).map((c) => `Flink ${c.backend}`),
    ]),
  ];
  if (backends.length) parts.push(`State backends: ${backends.join(', ')}.`, '');

  parts.push('## Targets (issue 7)', '');
  for (const t of evaluateTargets(s, f)) parts.push(`- **${t.outcome}** — ${t.target}: ${t.detail}`);
  parts.push('');

  for (const [label, r] of [
    ['Sluice', s],
    ['Flink', f],
  ] as const) {
    if (!r?.notes.length) continue;
    parts.push(`## ${label} notes`, '', ...r.notes.map((n) => `- ${n}`), '');
  }
  return parts.join('\n');
}
