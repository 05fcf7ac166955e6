/**
 * The targets of the issue "1000 jobs on two cores" (bench/operator-scale/README.md "Targets"),
 * judged from a run's figures. run.ts prints them as PASS/MISS and stores them in the results
 * file; nothing asserts them.
 */

/** The issue whose targets these are. */
export const TARGET_ISSUE = '1000 jobs on two cores';
/** Burst create → Ready=True p99, ms. */
export const TARGET_E2E_P99_MS = 500;
/** Reconcile p99 of every phase with the operator, ms. */
export const TARGET_RECONCILE_P99_MS = 500;
/** Operator API requests per completed checkpoint in checkpoints-ack: at most parallelism + this. */
export const TARGET_REQUESTS_PER_COMPLETED_OVER_P = 3;
/** Completed checkpoints per minute in checkpoints-ack: at least this share of the scheduled ones. */
export const TARGET_ON_SCHEDULE_SHARE = 0.95;
/** Operator RSS at the end of steady-off, MiB. */
export const TARGET_STEADY_RSS_MIB = 150;
/** Operator VmHWM at the end of the run, MiB. */
export const TARGET_PEAK_RSS_MIB = 300;

/** One target, as printed and written to the results file; never asserted. */
export interface TargetResult {
  /** What is measured. */
  name: string;
  /** The phase it is measured in, if one. */
  phase?: string;
  /** The measured value, in `unit`; absent when the run did not measure it. */
  value?: number;
  /** Unit of `value` and `limit` as printed after the number (' ms', ' MiB', '/min', ''). */
  unit: string;
  /** How `value` must compare with `limit` to pass. */
  op: '<' | '≤' | '≥';
  limit: number;
  /** NOT MEASURED: the phase did not run, or measured nothing (no reconcile). */
  verdict: 'PASS' | 'MISS' | 'NOT MEASURED';
  note?: string;
}

/** What the targets read of one phase report of run.ts (times in ms). */
export interface TargetPhase {
  name: string;
  reconcile?: { count: number; p99Ms?: number };
  checkpoints?: {
    /** Jobs × 60 / interval. */
    scheduledPerMin: number;
    /** The checkpoint interval of the phase, s. */
    intervalSeconds: number;
    /** Operator API requests per checkpoint completed in the phase. */
    operatorRequestsPerCompleted?: number;
    /** Completed per minute over the phase's last whole number of intervals (`windowS` s). */
    wholeIntervals: { windowS: number; completedPerMin: number };
  };
}

/** The figures of a run the targets are judged by. */
export interface TargetInput {
  /** Worker pods per job (`--parallelism`). */
  parallelism: number;
  /** Every measured phase, in order (`baseline` has no operator and is not judged). */
  phases: TargetPhase[];
  /** Burst create → Ready=True p99, ms, and the jobs not Ready within the timeout. */
  burstReadyP99Ms: number | undefined;
  burstNotReady: number;
  /**
   * The optional rate phase's create → Ready=True p99, ms, its jobs not Ready within the
   * timeout, and how they arrived (e.g. `50 jobs at 1/s beside 1000 running`); absent without it.
   */
  rate?: { readyP99Ms: number | undefined; notReady: number; note: string };
  /** RSS at the end of steady-off (after the burst when `--steady 0`), MiB. */
  steadyRssMiB: number | undefined;
  /** VmHWM at the end of the run, MiB. */
  peakRssMiB: number | undefined;
}

/** `t` with its verdict; a `miss` reason makes it a MISS whatever the value. */
export function judged(t: Omit<TargetResult, 'verdict'>, miss?: string): TargetResult {
  const within = (v: number) => (t.op === '<' ? v < t.limit : t.op === '≤' ? v <= t.limit : v >= t.limit);
  const verdict = miss ? 'MISS' : t.value === undefined ? 'NOT MEASURED' : within(t.value) ? 'PASS' : 'MISS';
  const note = [t.note, miss].filter((x) => x !== undefined).join('; ');
  return { ...t, verdict, ...(note ? { note } : {}) };
}

/**
 * The targets: create → Ready p99 < 500 ms for the burst and, when it ran, for jobs arriving one
 * by one (the rate phase; a MISS when a job never got Ready); reconcile
 * p99 < 500 ms in every phase with the operator; in checkpoints-ack, operator API requests per
 * completed checkpoint ≤ parallelism + 3 and completed checkpoints/min (over the phase's whole
 * intervals) ≥ 95 % of the scheduled ones — and not more than one per job per scheduled point
 * (over n whole intervals a job has at most n + 1 points in the window, so more than
 * scheduled × (n + 1) / n per minute means triggers repeat: a MISS); operator RSS < 150 MiB at the
 * end of steady-off and VmHWM < 300 MiB at the end.
 */
export function targetResults(r: TargetInput): TargetResult[] {
  const out: TargetResult[] = [
    judged(
      {
        name: 'create → Ready p99',
        phase: 'burst',
        value: r.burstReadyP99Ms,
        unit: ' ms',
        op: '<',
        limit: TARGET_E2E_P99_MS,
      },
      r.burstNotReady > 0 ? `${r.burstNotReady} jobs not Ready within --ready-timeout` : undefined,
    ),
    judged(
      {
        name: 'create → Ready p99',
        phase: 'rate',
        value: r.rate?.readyP99Ms,
        unit: ' ms',
        op: '<',
        limit: TARGET_E2E_P99_MS,
        note: r.rate?.note ?? 'no rate phase (--rate)',
      },
      r.rate && r.rate.notReady > 0 ? `${r.rate.notReady} jobs not Ready within --ready-timeout` : undefined,
    ),
  ];
  for (const p of r.phases.filter((x) => x.name !== 'baseline')) {
    const measured = p.reconcile !== undefined && p.reconcile.count > 0;
    out.push(
      judged({
        name: 'reconcile p99',
        phase: p.name,
        value: measured ? p.reconcile!.p99Ms : undefined,
        unit: ' ms',
        op: '<',
        limit: TARGET_RECONCILE_P99_MS,
        ...(measured ? {} : { note: 'no reconcile in the phase' }),
      }),
    );
  }
  const ack = r.phases.find((x) => x.name === 'checkpoints-ack')?.checkpoints;
  const noAck = 'no checkpoints-ack phase (--checkpoints)';
  out.push(
    judged(
      {
        name: 'operator API requests per completed checkpoint',
        phase: 'checkpoints-ack',
        value: ack?.operatorRequestsPerCompleted,
        unit: '',
        op: '≤',
        limit: r.parallelism + TARGET_REQUESTS_PER_COMPLETED_OVER_P,
        ...(ack ? {} : { note: noAck }),
      },
      ack && ack.operatorRequestsPerCompleted === undefined ? 'no checkpoint completed' : undefined,
    ),
  );
  out.push(
    judged(
      {
        name: 'checkpoints completed per min (on schedule)',
        phase: 'checkpoints-ack',
        value: ack?.wholeIntervals.completedPerMin,
        unit: '/min',
        op: '≥',
        limit: ack ? Number((TARGET_ON_SCHEDULE_SHARE * ack.scheduledPerMin).toFixed(1)) : 0,
        note: ack
          ? `${TARGET_ON_SCHEDULE_SHARE * 100} % of ${ack.scheduledPerMin}/min scheduled; counted over the phase's last ${ack.wholeIntervals.windowS} s (whole intervals)`
          : noAck,
      },
      ack ? repeatedTriggers(ack) : undefined,
    ),
  );
  out.push(
    judged({
      name: 'operator RSS steady (end of steady-off)',
      value: r.steadyRssMiB,
      unit: ' MiB',
      op: '<',
      limit: TARGET_STEADY_RSS_MIB,
    }),
  );
  out.push(
    judged({
      name: 'operator RSS peak (VmHWM)',
      value: r.peakRssMiB,
      unit: ' MiB',
      op: '<',
      limit: TARGET_PEAK_RSS_MIB,
    }),
  );
  return out;
}

/**
 * Why a checkpoint phase is off schedule by completing too many: more than one checkpoint per job
 * per scheduled point of its window, at most scheduled × (n + 1) / n per minute over n whole
 * intervals; undefined when within.
 */
function repeatedTriggers(ack: NonNullable<TargetPhase['checkpoints']>): string | undefined {
  const n = Math.max(1, Math.round(ack.wholeIntervals.windowS / ack.intervalSeconds));
  const ceiling = (ack.scheduledPerMin * (n + 1)) / n;
  return ack.wholeIntervals.completedPerMin > ceiling
    ? `more than one checkpoint per job per scheduled point (at most ${ceiling.toFixed(1)}/min over ${n} intervals): triggers repeat`
    : undefined;
}

/**
 * The targets of a published results file as a markdown table for docs/benchmarks.md
 * (bench/generate-doc-tables.ts, marker `bench-operator-scale file=<results file>`), with the
 * verdicts run.ts printed and stored, never judged again.
 * @throws Error naming `file` when it holds no targets
 */
export function renderTargetsBlock(
  file: string,
  r: { targets?: { issue: string; results: TargetResult[] } },
): string {
  if (!r.targets?.results?.length) throw new Error(`${file}: no targets to publish`);
  const value = (t: TargetResult) =>
    t.value === undefined ? '—' : `${t.value.toLocaleString('en-US')}${t.unit}`;
  const rows = r.targets.results.map(
    (t) =>
      `| ${t.name}${t.phase ? ` [${t.phase}]` : ''} ${t.op} ${t.limit.toLocaleString('en-US')}${t.unit} | ${value(t)} | ${t.verdict} |`,
  );
  return [
    '',
    `| target ("${r.targets.issue}") | measured | verdict |`,
    '| --- | --: | --- |',
    ...rows,
    '',
    '',
  ].join('\n');
}
