/**
 * Operator scale benchmark (issue 7, "Operator scale"; acceptance of the issue "1000 jobs on two
 * cores" with `--jobs 1000`, see README.md): N StreamJobs (default 200) against a real
 * etcd + kube-apiserver, the operator as a separate process as the image runs it (the bundle of
 * operator/bundle.ts with a filled compile cache and the image's memory settings; least-
 * privilege RBAC, leader election on, production log level and resync), worker pods made
 * Running/Ready by the kubelet stand-in (no worker processes).
 *
 *   node bench/operator-scale/run.ts [--jobs 200] [--parallelism 2] [--steady 60] [--phase 60] ...
 *   (`--help` lists every option)
 *
 * Phases, each measured between two snapshots (operator /metrics, kube-apiserver /metrics,
 * /proc of every server process, the benchmark's own watches):
 *
 *  1. baseline — control plane without operator: the API server's own request rate;
 *  2. burst — N jobs created at once (`--create-concurrency` requests in flight) until every job
 *     shows Ready=True; end-to-end latency per job from its create call to the first watch
 *     event with Ready=True (and phase Running);
 *  3. steady-off — N running jobs, checkpoints "off" (the CRD has no switch: intervalSeconds
 *     86400, so none is due during the run);
 *  4. optional rate — `--rate-jobs` more jobs created at `--rate` jobs/s (end-to-end latency
 *     when jobs arrive one by one rather than in a burst);
 *  5. checkpoints-no-ack — every job patched to intervalSeconds `--checkpoint-interval`,
 *     timeoutSeconds `--checkpoint-timeout`; nobody acknowledges, so every checkpoint times
 *     out and is aborted (what periodic checkpoints cost an operator whose workers are silent);
 *  6. checkpoints-ack — the same with the benchmark acknowledging for the workers through the
 *     API (observers.ts PodAgent), each worker after uploading a `--snapshot-bytes` state file to
 *     the snapshot directory, so checkpoints complete: `_metadata` in MinIO, status, commit
 *     annotations, retention. Afterwards the newest completed snapshots of up to 20 jobs are
 *     checked in MinIO: their `_metadata` complete (api/src/metadata-coverage.ts) and every file
 *     it lists present with its size and sha256.
 *
 * Figures: reconcile latency p50/p99 from `controller_runtime_reconcile_time_seconds` (histogram
 * quantile of the phase's increase), operator CPU (user+sys seconds from /proc/<pid>/stat) and
 * memory (VmRSS, VmHWM from /proc/<pid>/status), API requests per minute (kube-apiserver's
 * `apiserver_request_total`, and the operator's own share from API Priority and Fairness:
 * requests dispatched for the flow schemas of ServiceAccounts, which only the operator uses
 * here), checkpoint throughput and bench-observed checkpoint latency. The targets of the issue
 * "1000 jobs on two cores" (targets.ts) are printed as PASS/MISS and stored in the
 * results, never asserted. Results go to bench/results/operator-scale.json (`--out`).
 *
 * Figures are from one run on whatever else the machine is doing; the benchmark's own process
 * (watches, kubelet stand-in, acks) competes with the operator for the same cores and is
 * reported too.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { collectProvenance, loadAverage } from '../collect-provenance.ts';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Client as MinioClient } from 'minio';
import { metadataKey } from '@sluice/api/layout.ts';
import { parseMetadata } from '@sluice/api/metadata.ts';
import { metadataCoverageProblem } from '@sluice/api/metadata-coverage.ts';
import { Jobs, REPO_ROOT } from '../../test/harness/operator.ts';
import {
  startBenchCluster,
  imageMemoryEnv,
  startOperator,
  stopBenchCluster,
  type BenchCluster,
  type OperatorHandle,
} from './cluster.ts';
import { JobTracker, Limiter, PodAgent, type CheckpointTotals, type BenchRequests } from './observers.ts';
import { TARGET_ISSUE, targetResults } from './targets.ts';
import { countSockets, readMachineCpu, readProc, type MachineCpu, type ProcSample } from './procfs.ts';
import {
  delta,
  deltaBy,
  histogramDelta,
  histogramQuantile,
  quantileBeyondBuckets,
  scrapeApiserver,
  scrapeHttp,
  sum,
  waitQueueDrained,
  type Scrape,
} from './prom.ts';

const HELP = `Usage: node bench/operator-scale/run.ts [options]

  --jobs N                   StreamJobs (default 200)
  --parallelism N            worker pods per job (default 2)
  --create-concurrency N     create requests in flight during the burst (default 16)
  --ready-timeout S          seconds to wait for every job to be Ready
                             (default 240 per 200 jobs, at least 240: 1200 for --jobs 1000)
  --baseline S               seconds of control plane without operator (default 10)
  --steady S                 seconds of steady state, checkpoints off (default 60)
  --rate R                   jobs/s of the optional steady-rate phase (default 0: skipped)
  --rate-jobs N              jobs created in that phase (default 50)
  --checkpoints MODE         both | no-ack | ack | skip (default both)
  --checkpoint-interval S    spec.checkpoint.intervalSeconds while on (default 10)
  --checkpoint-timeout S     spec.checkpoint.timeoutSeconds while on (default 5)
  --warmup S                 seconds after switching a checkpoint phase on before measuring (default 15)
  --phase S                  seconds measured per checkpoint phase (default 60); at least
                             2 × --checkpoint-interval, so that a phase spans two intervals
  --snapshot-bytes N         size of the state file the acknowledger uploads per worker per
                             checkpoint, bytes (default 65536)
  --max-concurrent-reconciles N   operator setting (default: the operator's, 4)
  --out FILE                 results JSON (default bench/results/operator-scale.json)
  --keep                     keep the work directory (logs, etcd data) for a post-mortem
`;

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '200' },
    parallelism: { type: 'string', default: '2' },
    'create-concurrency': { type: 'string', default: '16' },
    'ready-timeout': { type: 'string' },
    baseline: { type: 'string', default: '10' },
    steady: { type: 'string', default: '60' },
    rate: { type: 'string', default: '0' },
    'rate-jobs': { type: 'string', default: '50' },
    checkpoints: { type: 'string', default: 'both' },
    'checkpoint-interval': { type: 'string', default: '10' },
    'checkpoint-timeout': { type: 'string', default: '5' },
    warmup: { type: 'string', default: '15' },
    phase: { type: 'string', default: '60' },
    'snapshot-bytes': { type: 'string', default: '65536' },
    'max-concurrent-reconciles': { type: 'string' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results', 'operator-scale.json') },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

/** A positive (or zero, with `allowZero`) number option, else exit 2 with the problem. */
function num(name: keyof typeof args, allowZero = false): number {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    process.stderr.write(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number\n${HELP}`);
    process.exit(2);
  }
  return v;
}

const N = num('jobs');
const P = num('parallelism');
const CREATE_CONCURRENCY = num('create-concurrency');
/** Jobs per 240 s of the default `--ready-timeout` and per 30 s of the settling waits. */
const JOBS_PER_DEFAULT_WAIT = 200;
/** Seconds to wait for every job to be Ready; the default grows with `--jobs` (240 s per 200). */
const READY_TIMEOUT_S =
  args['ready-timeout'] !== undefined
    ? num('ready-timeout')
    : Math.max(240, Math.ceil((240 * N) / JOBS_PER_DEFAULT_WAIT));
/** Longest wait, s, for the operator's queue to drain after a burst (30 s per 200 jobs, at least 30). */
const SETTLE_S = Math.max(30, Math.ceil((30 * N) / JOBS_PER_DEFAULT_WAIT));
const BASELINE_S = num('baseline', true);
const STEADY_S = num('steady', true);
const RATE = num('rate', true);
const RATE_JOBS = num('rate-jobs', true);
const CP_INTERVAL_S = num('checkpoint-interval');
const CP_TIMEOUT_S = num('checkpoint-timeout');
const WARMUP_S = num('warmup', true);
const PHASE_S = num('phase');
/** Size of each state file the acknowledger uploads, bytes. */
const SNAPSHOT_BYTES = num('snapshot-bytes');
if (!Number.isSafeInteger(SNAPSHOT_BYTES)) {
  process.stderr.write(`--snapshot-bytes must be a whole number of bytes\n${HELP}`);
  process.exit(2);
}
const MODE = args.checkpoints;
if (!['both', 'no-ack', 'ack', 'skip'].includes(MODE)) {
  process.stderr.write(`--checkpoints must be both, no-ack, ack or skip\n${HELP}`);
  process.exit(2);
}
if (MODE !== 'skip' && PHASE_S < 2 * CP_INTERVAL_S) {
  // Fewer than two intervals measure the one herd of triggers after the switch, not a schedule.
  process.stderr.write(
    `--phase (${PHASE_S} s) must be at least 2 × --checkpoint-interval (${2 * CP_INTERVAL_S} s): a measured checkpoint phase spans two intervals\n`,
  );
  process.exit(2);
}
/** intervalSeconds meaning "off": the CRD's maximum, so no periodic checkpoint is due in a run. */
const OFF_INTERVAL_S = 86_400;

const T0 = performance.now();
const elapsed = () => `+${((performance.now() - T0) / 1000).toFixed(1)}s`;
const say = (line: string) => process.stdout.write(`[${elapsed()}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (b: number) => b / 1024 / 1024;
const round = (x: number | undefined, digits = 1) =>
  x === undefined || !Number.isFinite(x) ? undefined : Number(x.toFixed(digits));

/** Percentiles (nearest rank) of `values`, in their unit. */
interface Dist {
  n: number;
  p50?: number;
  p99?: number;
  max?: number;
  mean?: number;
}

function dist(values: number[], digits = 0): Dist {
  if (values.length === 0) return { n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.max(0, Math.ceil(q * s.length) - 1)]!;
  return {
    n: s.length,
    p50: round(at(0.5), digits),
    p99: round(at(0.99), digits),
    max: round(s.at(-1), digits),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length, digits),
  };
}

// ---------------------------------------------------------------------------------------------
// Snapshots and phase reports

const OPERATOR_METRICS = [
  'controller_runtime_',
  'workqueue_',
  'process_',
  'nodejs_heap_size_',
  'nodejs_external_memory_bytes',
  'nodejs_eventloop_lag_',
  'sluice_informer_restarts_total',
];
const APISERVER_METRICS = [
  'apiserver_request_total',
  'apiserver_request_duration_seconds_',
  'apiserver_flowcontrol_',
];
/** APF flow schemas the operator's ServiceAccount requests fall into (nothing else uses one here). */
const OPERATOR_FLOW_SCHEMAS = ['service-accounts', 'workload-leader-election'];

/** Everything read at a phase boundary. */
interface Snapshot {
  atMs: number;
  operator?: Scrape;
  apiserver: Scrape;
  procs: Record<'operator' | 'apiserver' | 'etcd' | 'minio', ProcSample | undefined>;
  bench: NodeJS.CpuUsage;
  machine: MachineCpu | undefined;
  loadavg1: number;
  checkpoints: CheckpointTotals;
  requests: BenchRequests;
}

/** One measured phase, as written to the results file. Times in ms unless named otherwise. */
interface PhaseReport {
  name: string;
  durationS: number;
  jobs: number;
  operator: {
    /** User + system CPU seconds in the phase. */
    cpuSeconds: number;
    cpuSecondsPerMin: number;
    /** Percent of one core. */
    cpuPercent: number;
    rssEndMiB?: number;
    rssMeanMiB?: number;
    rssMaxMiB?: number;
    /** VmHWM at the end of the phase (peak since the operator started). */
    peakRssMiB?: number;
    /** V8 heap in use / committed, and memory outside the heap (Buffers), at the end of the phase. */
    heapUsedMiB?: number;
    heapTotalMiB?: number;
    externalMiB?: number;
    /** Open sockets of the operator (sampled every second): mean and max in the phase. */
    socketsMean?: number;
    socketsMax?: number;
  };
  /** CPU seconds per minute of the other processes, for context. */
  otherCpuSecondsPerMin: { apiserver?: number; etcd?: number; minio?: number; bench: number };
  /**
   * The whole machine: busy percent of all CPUs, the part of it used by processes that are not
   * the benchmark's (other tests, builds, clusters), and the 1-minute load average at the end.
   */
  machine?: { cpus: number; busyPercent: number; othersPercent: number; loadavg1: number };
  reconcile?: {
    count: number;
    perMin: number;
    p50Ms?: number;
    p99Ms?: number;
    meanMs?: number;
    byResult: Record<string, number>;
    errors: number;
    queueRetries: number;
    /**
     * workqueue_queue_duration_seconds quantiles (client-go's decade buckets up to 10 s: coarse;
     * "≥10000" when the rank lies beyond the last bucket).
     */
    queueWaitP50Ms?: number | string;
    queueWaitP99Ms?: number | string;
    queueDepthStart: number;
    queueDepthEnd: number;
    /** List/watch failures that made an operator informer re-list. */
    informerRestarts: number;
    /** Event-loop delay of the operator since the previous scrape (prom-client's monitor), ms. */
    eventLoopLagP50Ms?: number;
    eventLoopLagP99Ms?: number;
    eventLoopLagMaxMs?: number;
  };
  api: {
    /** Every request the API server served (all clients, incl. its own loopback traffic). */
    totalPerMin: number;
    /** Requests of the operator's ServiceAccount (APF dispatched, flow schemas above). */
    operatorPerMin?: number;
    operatorPerReconcile?: number;
    /** Requests the benchmark sent itself (pod status writes, acks), per minute. */
    benchPerMin: number;
    /** Requests rejected by APF (429), all clients. */
    rejected: number;
    /**
     * Server-side latency of non-watch requests (apiserver_request_duration_seconds, all
     * clients), ms: what the operator waits for the API server, as opposed to its own time.
     */
    serverLatencyP50Ms?: number;
    serverLatencyP99Ms?: number;
    /** Largest verb/resource groups of apiserver_request_total, all clients, per minute. */
    top: Array<{ request: string; perMin: number }>;
  };
  checkpoints?: {
    intervalSeconds: number;
    timeoutSeconds: number;
    acking: boolean;
    /** What N jobs at this interval would trigger per minute if the operator kept up. */
    scheduledPerMin: number;
    triggeredPerMin: number;
    completedPerMin: number;
    failedPerMin: number;
    /** Jobs × 60 / completedPerMin: how often each job actually gets a completed checkpoint, s. */
    effectiveIntervalS?: number;
    /**
     * completedPerMin over the last whole number of intervals of the phase (`windowS` seconds up
     * to its end): the figure of the on-schedule target. Jobs switched on together trigger in
     * step, so over a fraction of an interval the count depends on where that herd falls.
     */
    wholeIntervals: { windowS: number; completedPerMin: number };
    /**
     * The operator's API requests in the phase (APF dispatched, its flow schemas) per checkpoint
     * completed in it: every request, reads and writes, whatever it was for.
     */
    operatorRequestsPerCompleted?: number;
    /** First pod seen with the request → first pod seen with the commit (bench watch), ms. */
    requestToCommitMs: Dist;
    /** Last ack patch returned → first pod seen with the commit: the operator's completion work, ms. */
    ackToCommitMs: Dist;
    /** State files the acknowledger uploaded to MinIO in the phase (none while acking is off). */
    stateFiles: {
      uploads: number;
      uploadsPerMin: number;
      /** Bytes uploaded, MiB. */
      uploadMiB: number;
      /** Failed uploads (each acked with an error: the snapshot aborts as WorkerFailed). */
      errors: number;
    };
  };
}

interface Ctx {
  cluster: BenchCluster;
  operator?: OperatorHandle;
  tracker: JobTracker;
  agent: PodAgent;
  /** The operator, every second: CPU, memory and open sockets. */
  rssSamples: Array<ProcSample & { sockets?: number }>;
}

async function snapshot(c: Ctx): Promise<Snapshot> {
  const [operator, apiserver] = await Promise.all([
    c.operator ? scrapeHttp(`${c.operator.url}/metrics`, OPERATOR_METRICS) : Promise.resolve(undefined),
    scrapeApiserver(c.cluster.state, APISERVER_METRICS),
  ]);
  return {
    atMs: performance.now(),
    operator,
    apiserver,
    procs: {
      operator: c.operator ? readProc(c.operator.process.pid) : undefined,
      apiserver: readProc(c.cluster.apiserver.pid),
      etcd: readProc(c.cluster.etcd.pid),
      minio: readProc(c.cluster.minio.pid),
    },
    bench: process.cpuUsage(),
    machine: readMachineCpu(),
    loadavg1: loadavg()[0]!,
    checkpoints: c.tracker.totals(),
    requests: { ...c.agent.counts },
  };
}

function phaseReport(
  name: string,
  c: Ctx,
  a: Snapshot,
  b: Snapshot,
  checkpoint?: {
    intervalSeconds: number;
    timeoutSeconds: number;
    acking: boolean;
    /** Where the last whole number of intervals before `b` starts: time and tallies there. */
    wholeIntervalsFrom: { atMs: number; checkpoints: CheckpointTotals };
  },
): PhaseReport {
  const seconds = (b.atMs - a.atMs) / 1000;
  const perMin = (x: number) => round((x / seconds) * 60, 1)!;
  const cpu = (k: keyof Snapshot['procs']) => {
    const x = a.procs[k];
    const y = b.procs[k];
    return x && y ? y.cpuSeconds - x.cpuSeconds : undefined;
  };
  const opCpu = cpu('operator') ?? 0;
  const inPhase = c.rssSamples.filter((s) => s.atMs >= a.atMs && s.atMs <= b.atMs);
  const rss = inPhase.map((s) => s.rssBytes);
  const socks = inPhase.map((s) => s.sockets).filter((x) => x !== undefined);
  const benchCpu = (b.bench.user + b.bench.system - a.bench.user - a.bench.system) / 1e6;
  const benchRequests =
    2 * (b.requests.podsMarked - a.requests.podsMarked) +
    (b.requests.acks - a.requests.acks) +
    (b.requests.ackErrors - a.requests.ackErrors);

  const report: PhaseReport = {
    name,
    durationS: round(seconds, 1)!,
    jobs: c.tracker.jobs.size,
    operator: {
      cpuSeconds: round(opCpu, 2)!,
      cpuSecondsPerMin: perMin(opCpu),
      cpuPercent: round((opCpu / seconds) * 100, 1)!,
      rssEndMiB: b.procs.operator ? round(MiB(b.procs.operator.rssBytes)) : undefined,
      rssMeanMiB: rss.length ? round(MiB(rss.reduce((x, y) => x + y, 0) / rss.length)) : undefined,
      rssMaxMiB: rss.length ? round(MiB(Math.max(...rss))) : undefined,
      peakRssMiB: b.procs.operator ? round(MiB(b.procs.operator.hwmBytes)) : undefined,
      heapUsedMiB: b.operator ? round(MiB(sum(b.operator, 'nodejs_heap_size_used_bytes'))) : undefined,
      heapTotalMiB: b.operator ? round(MiB(sum(b.operator, 'nodejs_heap_size_total_bytes'))) : undefined,
      externalMiB: b.operator ? round(MiB(sum(b.operator, 'nodejs_external_memory_bytes'))) : undefined,
      socketsMean: socks.length ? round(socks.reduce((x, y) => x + y, 0) / socks.length, 0) : undefined,
      socketsMax: socks.length ? Math.max(...socks) : undefined,
    },
    otherCpuSecondsPerMin: {
      apiserver: cpu('apiserver') !== undefined ? perMin(cpu('apiserver')!) : undefined,
      etcd: cpu('etcd') !== undefined ? perMin(cpu('etcd')!) : undefined,
      minio: cpu('minio') !== undefined ? perMin(cpu('minio')!) : undefined,
      bench: perMin(benchCpu),
    },
    api: {
      totalPerMin: perMin(delta(a.apiserver, b.apiserver, 'apiserver_request_total')),
      benchPerMin: perMin(benchRequests),
      rejected: delta(a.apiserver, b.apiserver, 'apiserver_flowcontrol_rejected_requests_total'),
      top: deltaBy(a.apiserver, b.apiserver, 'apiserver_request_total', ['verb', 'resource', 'subresource'])
        .slice(0, 12)
        .map((e) => ({ request: e.key, perMin: perMin(e.value) })),
    },
  };
  const server = histogramDelta(
    a.apiserver,
    b.apiserver,
    'apiserver_request_duration_seconds',
    (l) => l.verb !== 'WATCH' && l.verb !== 'CONNECT',
  );
  const sms = (x: number | undefined) => (x === undefined ? undefined : round(x * 1000, 1));
  report.api.serverLatencyP50Ms = sms(histogramQuantile(0.5, server));
  report.api.serverLatencyP99Ms = sms(histogramQuantile(0.99, server));
  if (a.machine && b.machine) {
    const busy = b.machine.busySeconds - a.machine.busySeconds;
    const total = b.machine.totalSeconds - a.machine.totalSeconds;
    const ours =
      opCpu + benchCpu + (['apiserver', 'etcd', 'minio'] as const).reduce((x, k) => x + (cpu(k) ?? 0), 0);
    report.machine = {
      cpus: cpus().length,
      busyPercent: round((busy / total) * 100, 0)!,
      othersPercent: round((Math.max(0, busy - ours) / total) * 100, 0)!,
      loadavg1: round(b.loadavg1, 1)!,
    };
  }
  const opRequests = OPERATOR_FLOW_SCHEMAS.reduce(
    (s, fs) =>
      s +
      delta(a.apiserver, b.apiserver, 'apiserver_flowcontrol_dispatched_requests_total', { flow_schema: fs }),
    0,
  );
  if (a.operator && b.operator) {
    const ctl = { controller: 'streamjob' };
    const h = histogramDelta(a.operator, b.operator, 'controller_runtime_reconcile_time_seconds', ctl);
    const q = histogramDelta(a.operator, b.operator, 'workqueue_queue_duration_seconds', {
      name: 'streamjob',
    });
    const byResult: Record<string, number> = {};
    for (const e of deltaBy(a.operator, b.operator, 'controller_runtime_reconcile_total', ['result'], ctl))
      byResult[e.key] = e.value;
    const ms = (s: number | undefined) => (s === undefined ? undefined : round(s * 1000, 1));
    const wait = (quant: number) => {
      const v = ms(histogramQuantile(quant, q));
      return v !== undefined && quantileBeyondBuckets(quant, q) ? `≥${v}` : v;
    };
    report.reconcile = {
      count: h.count,
      perMin: perMin(h.count),
      p50Ms: ms(histogramQuantile(0.5, h)),
      p99Ms: ms(histogramQuantile(0.99, h)),
      meanMs: h.count > 0 ? ms(h.sum / h.count) : undefined,
      byResult,
      errors: delta(a.operator, b.operator, 'controller_runtime_reconcile_errors_total', ctl),
      queueRetries: delta(a.operator, b.operator, 'workqueue_retries_total', { name: 'streamjob' }),
      queueWaitP50Ms: wait(0.5),
      queueWaitP99Ms: wait(0.99),
      queueDepthStart: sum(a.operator, 'workqueue_depth', { name: 'streamjob' }),
      queueDepthEnd: sum(b.operator, 'workqueue_depth', { name: 'streamjob' }),
      informerRestarts: delta(a.operator, b.operator, 'sluice_informer_restarts_total'),
      eventLoopLagP50Ms: ms(sum(b.operator, 'nodejs_eventloop_lag_p50_seconds')),
      eventLoopLagP99Ms: ms(sum(b.operator, 'nodejs_eventloop_lag_p99_seconds')),
      eventLoopLagMaxMs: ms(sum(b.operator, 'nodejs_eventloop_lag_max_seconds')),
    };
    report.api.operatorPerMin = perMin(opRequests);
    report.api.operatorPerReconcile = h.count > 0 ? round(opRequests / h.count, 1) : undefined;
  }
  if (checkpoint) {
    const { wholeIntervalsFrom: from, ...settings } = checkpoint;
    const wholeS = (b.atMs - from.atMs) / 1000;
    const snaps = [...c.agent.snapshots.values()].filter(
      (s) => s.requestSeenMs >= a.atMs && s.requestSeenMs <= b.atMs,
    );
    const committed = snaps.filter((s) => s.committedSeenMs !== undefined);
    report.checkpoints = {
      ...settings,
      scheduledPerMin: round((c.tracker.jobs.size * 60) / checkpoint.intervalSeconds, 1)!,
      triggeredPerMin: perMin(b.checkpoints.triggered - a.checkpoints.triggered),
      completedPerMin: perMin(b.checkpoints.completed - a.checkpoints.completed),
      failedPerMin: perMin(b.checkpoints.failed - a.checkpoints.failed),
      effectiveIntervalS:
        b.checkpoints.completed > a.checkpoints.completed
          ? round((c.tracker.jobs.size * seconds) / (b.checkpoints.completed - a.checkpoints.completed), 1)
          : undefined,
      wholeIntervals: {
        windowS: round(wholeS, 1)!,
        completedPerMin: round(((b.checkpoints.completed - from.checkpoints.completed) / wholeS) * 60, 1)!,
      },
      operatorRequestsPerCompleted:
        a.operator && b.checkpoints.completed > a.checkpoints.completed
          ? round(opRequests / (b.checkpoints.completed - a.checkpoints.completed), 1)
          : undefined,
      requestToCommitMs: dist(committed.map((s) => s.committedSeenMs! - s.requestSeenMs)),
      ackToCommitMs: dist(
        committed.filter((s) => s.lastAckMs !== undefined).map((s) => s.committedSeenMs! - s.lastAckMs!),
      ),
      stateFiles: {
        uploads: b.requests.uploads - a.requests.uploads,
        uploadsPerMin: perMin(b.requests.uploads - a.requests.uploads),
        uploadMiB: round(MiB(b.requests.uploadBytes - a.requests.uploadBytes), 1)!,
        errors: b.requests.uploadErrors - a.requests.uploadErrors,
      },
    };
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Jobs

function jobManifest(name: string, namespace: string): object {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { name, namespace },
    spec: {
      image: 'sluice-runtime:dev',
      job: { entry: 'wordcount' },
      parallelism: P,
      // The pods are simulated: no worker could take the stop-with-savepoint of savepoint mode.
      upgradeMode: 'last-state',
      checkpoint: { intervalSeconds: OFF_INTERVAL_S, timeoutSeconds: CP_TIMEOUT_S },
    },
  };
}

/** Creates `names` with at most `concurrency` requests in flight, noting each create time. */
async function createJobs(c: Ctx, jobs: Jobs, names: string[], concurrency: number): Promise<void> {
  const limiter = new Limiter(concurrency);
  await Promise.all(
    names.map((name) =>
      limiter.run(async () => {
        c.tracker.created(name, performance.now());
        await jobs.create(jobManifest(name, c.cluster.env.namespace));
      }),
    ),
  );
}

/** Waits until every job in `names` shows Ready, printing progress every 5 s; false on timeout. */
async function waitReady(c: Ctx, names: string[], timeoutS: number, label: string): Promise<boolean> {
  const deadline = performance.now() + timeoutS * 1000;
  let lastPrint = 0;
  for (;;) {
    const ready = names.filter((n) => c.tracker.jobs.get(n)?.readyAtMs !== undefined).length;
    const now = performance.now();
    if (ready === names.length || now > deadline || now - lastPrint >= 5000) {
      const pods = c.agent.podCounts();
      say(
        `${label}: jobs Ready ${ready}/${names.length} (all jobs ${c.tracker.readyCount()}/${c.tracker.jobs.size}), pods ${pods.pods} (Ready ${pods.ready})`,
      );
      lastPrint = now;
    }
    if (ready === names.length) return true;
    if (now > deadline) return false;
    await sleep(250);
  }
}

function e2eLatencies(c: Ctx, names: string[]): { ready: Dist; running: Dist; notReady: number } {
  const recs = names.map((n) => c.tracker.jobs.get(n)).filter((r) => r !== undefined);
  const lat = (f: 'readyAtMs' | 'runningAtMs') =>
    recs.filter((r) => r.createdAtMs !== undefined && r[f] !== undefined).map((r) => r[f]! - r.createdAtMs!);
  return {
    ready: dist(lat('readyAtMs')),
    running: dist(lat('runningAtMs')),
    notReady: recs.filter((r) => r.readyAtMs === undefined).length,
  };
}

async function setCheckpointSpec(c: Ctx, jobs: Jobs, intervalSeconds: number): Promise<void> {
  const limiter = new Limiter(CREATE_CONCURRENCY);
  await Promise.all(
    [...c.tracker.jobs.keys()].map((name) =>
      limiter.run(() =>
        jobs.mergePatch(name, { spec: { checkpoint: { intervalSeconds, timeoutSeconds: CP_TIMEOUT_S } } }),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Snapshots in MinIO

/** What the check of the newest completed snapshots in MinIO found. */
interface SnapshotCheck {
  /** Jobs whose newest completed checkpoint's `_metadata` was read. */
  jobs: number;
  /** State files listed in those `_metadata` and found with the listed size and sha256. */
  filesOk: number;
  /** The sizes the `_metadata` list for the files, bytes (distinct values). */
  fileBytes: number[];
  /** Whatever did not match, one line each. */
  problems: string[];
}

/** The whole object `key` of `bucket`. */
async function readObject(minio: MinioClient, bucket: string, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await minio.getObject(bucket, key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Reads the `_metadata` of the newest completed checkpoint of up to `maxJobs` jobs (by name) and
 * checks that it is complete (api/src/metadata-coverage.ts: every subtask, every key group, every
 * file with a size and sha256), lists `--parallelism` workers, and that every file it lists is
 * in MinIO with that size and sha256, of `--snapshot-bytes` bytes.
 */
async function checkSnapshots(c: Ctx, maxJobs: number): Promise<SnapshotCheck> {
  const { minio, bucket } = c.cluster.env;
  const recs = [...c.tracker.jobs.values()]
    .filter((r) => r.lastCompletedPath !== undefined)
    .sort((x, y) => x.name.localeCompare(y.name))
    .slice(0, maxJobs);
  const check: SnapshotCheck = { jobs: 0, filesOk: 0, fileBytes: [], problems: [] };
  const sizes = new Set<number>();
  for (const r of recs) {
    const dir = r.lastCompletedPath!;
    const source = metadataKey(dir);
    try {
      const metadata = parseMetadata((await readObject(minio, bucket, source)).toString('utf8'), source);
      check.jobs++;
      const problem = metadataCoverageProblem(metadata, source);
      if (problem) check.problems.push(problem);
      if (metadata.workers.length !== P)
        check.problems.push(`${source}: ${metadata.workers.length} workers, expected ${P}`);
      for (const file of metadata.workers.flatMap((w) => w.files)) {
        sizes.add(file.bytes);
        const body = await readObject(minio, bucket, `${dir}/${file.key}`);
        const sha256 = createHash('sha256').update(body).digest('hex');
        if (body.length !== file.bytes || sha256 !== file.sha256) {
          check.problems.push(
            `${dir}/${file.key}: ${body.length} bytes, sha256 ${sha256}; _metadata lists ${file.bytes} bytes, sha256 ${file.sha256}`,
          );
        } else if (file.bytes !== SNAPSHOT_BYTES) {
          check.problems.push(
            `${dir}/${file.key}: ${file.bytes} bytes, not --snapshot-bytes ${SNAPSHOT_BYTES}`,
          );
        } else {
          check.filesOk++;
        }
      }
    } catch (err) {
      check.problems.push(`${dir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  check.fileBytes = [...sizes].sort((x, y) => x - y);
  return check;
}

// ---------------------------------------------------------------------------------------------
// Output

const fmt = (x: number | string | undefined, unit = '') => (x === undefined ? '—' : `${x}${unit}`);
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function printTable(phases: PhaseReport[]): void {
  const cols = [
    'phase',
    's',
    'reconciles',
    'rec p50 ms',
    'rec p99 ms',
    'op CPU s/min',
    'op CPU %',
    'RSS MiB',
    'peak MiB',
    'API/min all',
    'API/min op',
    'req/rec',
    'ckpt ok/min',
    'ckpt fail/min',
  ];
  const rows = phases.map((p) => [
    p.name,
    String(p.durationS),
    p.reconcile ? String(p.reconcile.count) : '—',
    fmt(p.reconcile?.p50Ms),
    fmt(p.reconcile?.p99Ms),
    String(p.operator.cpuSecondsPerMin),
    String(p.operator.cpuPercent),
    fmt(p.operator.rssEndMiB),
    fmt(p.operator.peakRssMiB),
    String(p.api.totalPerMin),
    fmt(p.api.operatorPerMin),
    fmt(p.api.operatorPerReconcile),
    p.checkpoints ? String(p.checkpoints.completedPerMin) : '—',
    p.checkpoints ? String(p.checkpoints.failedPerMin) : '—',
  ]);
  printRows(cols, rows);
  console.log('');
  printRows(
    [
      'phase',
      'queue start→end',
      'queue wait p50 ms',
      'loop lag p99 ms',
      'op sockets mean/max',
      'apiserver p50/p99 ms',
      'apiserver CPU s/min',
      'etcd CPU s/min',
      'bench CPU s/min',
      'machine busy %',
      'others %',
      'load1',
    ],
    phases.map((p) => [
      p.name,
      p.reconcile ? `${p.reconcile.queueDepthStart}→${p.reconcile.queueDepthEnd}` : '—',
      fmt(p.reconcile?.queueWaitP50Ms),
      fmt(p.reconcile?.eventLoopLagP99Ms),
      `${fmt(p.operator.socketsMean)}/${fmt(p.operator.socketsMax)}`,
      `${fmt(p.api.serverLatencyP50Ms)}/${fmt(p.api.serverLatencyP99Ms)}`,
      fmt(p.otherCpuSecondsPerMin.apiserver),
      fmt(p.otherCpuSecondsPerMin.etcd),
      fmt(p.otherCpuSecondsPerMin.bench),
      fmt(p.machine?.busyPercent),
      fmt(p.machine?.othersPercent),
      fmt(p.machine?.loadavg1),
    ]),
  );
}

function printRows(cols: string[], rows: string[][]): void {
  const widths = cols.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((v, i) => (i === 0 ? pad(v, widths[i]!) : lpad(v, widths[i]!))).join('  ');
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  say(
    `operator scale benchmark: ${N} jobs × ${P} pods, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const loadStart = loadavg();
  const provenance = collectProvenance(args, { jobs: args.jobs, parallelism: args.parallelism });
  let cluster: BenchCluster | undefined;
  let ctx: Ctx | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let interrupted = false;
  const cleanup = async () => {
    clearInterval(sampler);
    ctx?.tracker.stop();
    ctx?.agent.stop();
    await stopBenchCluster(cluster, ctx?.operator, args.keep);
    if (args.keep && cluster) say(`kept ${cluster.workDir} (operator.log, kube-apiserver.log, etcd data)`);
  };
  const onSignal = (sig: string) => {
    if (interrupted) return;
    interrupted = true;
    say(`${sig}: stopping every process`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    cluster = await startBenchCluster(say);
    const tracker = new JobTracker(cluster.kubeConfig, cluster.env.namespace);
    const agent = new PodAgent(cluster.kubeConfig, cluster.env.namespace, {
      upload: { minio: cluster.env.minio, bucket: cluster.env.bucket, bytes: SNAPSHOT_BYTES },
    });
    await Promise.all([tracker.start(), agent.start()]);
    const c: Ctx = { cluster, tracker, agent, rssSamples: [] };
    ctx = c;
    const jobs = new Jobs(cluster.kubeConfig, cluster.env.namespace);
    const phases: PhaseReport[] = [];

    // 1. The control plane alone.
    let a = await snapshot(c);
    await sleep(BASELINE_S * 1000);
    let b = await snapshot(c);
    const baseline = phaseReport('baseline', c, a, b);
    phases.push(baseline);
    say(`baseline (no operator): ${baseline.api.totalPerMin} API requests/min from the control plane itself`);

    // 2. The operator process.
    // The image's V8 flags and glibc settings (operator/Dockerfile).
    const settings: Record<string, string> = imageMemoryEnv();
    if (args['max-concurrent-reconciles'])
      settings.SLUICE_MAX_CONCURRENT_RECONCILES = args['max-concurrent-reconciles'];
    const tStart = performance.now();
    c.operator = await startOperator(cluster, settings);
    const startupMs = performance.now() - tStart;
    await sleep(2000);
    const idle = readProc(c.operator.process.pid);
    const idleRssMiB = idle ? round(MiB(idle.rssBytes)) : undefined;
    say(
      `operator pid ${c.operator.process.pid} ready (leading, informers synced) in ${Math.round(startupMs)} ms; RSS without jobs ${fmt(idleRssMiB, ' MiB')}`,
    );
    sampler = setInterval(() => {
      const s = c.operator && readProc(c.operator.process.pid);
      if (s) c.rssSamples.push({ ...s, sockets: countSockets(c.operator!.process.pid) });
    }, 1000);

    // 3. Burst.
    const names = Array.from({ length: N }, (_, i) => `job-${String(i).padStart(4, '0')}`);
    a = await snapshot(c);
    say(`burst: creating ${N} StreamJobs, ${CREATE_CONCURRENCY} requests in flight`);
    const tCreate = performance.now();
    const creating = createJobs(c, jobs, names, CREATE_CONCURRENCY).then(() =>
      say(`burst: all ${N} created in ${Math.round(performance.now() - tCreate)} ms`),
    );
    // A failed create surfaces at the `await creating` below, not as an unhandled rejection.
    creating.catch(() => undefined);
    const allReady = await waitReady(c, names, READY_TIMEOUT_S, 'burst');
    await creating;
    b = await snapshot(c);
    const burst = phaseReport('burst', c, a, b);
    phases.push(burst);
    const burstE2e = e2eLatencies(c, names);
    if (!allReady) say(`burst: ${burstE2e.notReady} jobs not Ready after ${READY_TIMEOUT_S} s`);

    // 4. Steady state, checkpoints off.
    await waitQueueDrained(c.operator!.url, SETTLE_S);
    if (STEADY_S > 0) {
      say(`steady-off: ${STEADY_S} s with ${N} running jobs, no checkpoint due`);
      a = await snapshot(c);
      await sleep(STEADY_S * 1000);
      b = await snapshot(c);
      phases.push(phaseReport('steady-off', c, a, b));
    }
    const steadyProc = readProc(c.operator.process.pid);
    const steadyRssMiB = steadyProc ? round(MiB(steadyProc.rssBytes)) : undefined;

    // 5. Optional: jobs arriving at a steady rate.
    let rateE2e: ReturnType<typeof e2eLatencies> | undefined;
    if (RATE > 0 && RATE_JOBS > 0) {
      const more = Array.from({ length: RATE_JOBS }, (_, i) => `rate-${String(i).padStart(4, '0')}`);
      say(`rate: creating ${RATE_JOBS} more jobs at ${RATE}/s`);
      a = await snapshot(c);
      const t = performance.now();
      const created: Array<Promise<void>> = [];
      for (const [i, name] of more.entries()) {
        const wait = t + (i * 1000) / RATE - performance.now();
        if (wait > 0) await sleep(wait);
        const one = createJobs(c, jobs, [name], 1);
        one.catch(() => undefined); // rethrown by Promise.all below
        created.push(one);
      }
      await Promise.all(created);
      await waitReady(c, more, READY_TIMEOUT_S, 'rate');
      b = await snapshot(c);
      phases.push(phaseReport('rate', c, a, b));
      rateE2e = e2eLatencies(c, more);
      await waitQueueDrained(c.operator!.url, SETTLE_S);
    }

    // 6./7. Periodic checkpoints on, without and with acknowledgements.
    const cpPhases: Array<{ name: string; acking: boolean }> = [];
    if (MODE === 'both' || MODE === 'no-ack') cpPhases.push({ name: 'checkpoints-no-ack', acking: false });
    if (MODE === 'both' || MODE === 'ack') cpPhases.push({ name: 'checkpoints-ack', acking: true });
    let switchedOn = false;
    for (const ph of cpPhases) {
      agent.setAcking(ph.acking);
      if (!switchedOn) {
        say(
          `checkpoints on: patching ${tracker.jobs.size} jobs to intervalSeconds ${CP_INTERVAL_S}, timeoutSeconds ${CP_TIMEOUT_S}`,
        );
        await setCheckpointSpec(c, jobs, CP_INTERVAL_S);
        switchedOn = true;
      }
      say(
        `${ph.name}: acks ${ph.acking ? 'on' : 'off'}; warming up ${WARMUP_S} s, then measuring ${PHASE_S} s`,
      );
      await sleep(WARMUP_S * 1000);
      a = await snapshot(c);
      // The on-schedule figure counts the last whole number of intervals of the phase.
      let wholeIntervalsFrom = { atMs: a.atMs, checkpoints: a.checkpoints };
      const wholeLeadS = PHASE_S - Math.floor(PHASE_S / CP_INTERVAL_S) * CP_INTERVAL_S;
      const mark =
        wholeLeadS > 0
          ? setTimeout(
              () => (wholeIntervalsFrom = { atMs: performance.now(), checkpoints: tracker.totals() }),
              wholeLeadS * 1000,
            )
          : undefined;
      for (let left = PHASE_S; left > 0; left -= 10) {
        await sleep(Math.min(10, left) * 1000);
        const t = tracker.totals();
        say(
          `${ph.name}: checkpoints triggered ${t.triggered - a.checkpoints.triggered}, completed ${t.completed - a.checkpoints.completed}, failed ${t.failed - a.checkpoints.failed}; uploads pending ${agent.uploadsPending}, acks pending ${agent.acksPending}`,
        );
      }
      clearTimeout(mark); // fired long ago: the lead is less than one interval
      b = await snapshot(c);
      phases.push(
        phaseReport(ph.name, c, a, b, {
          intervalSeconds: CP_INTERVAL_S,
          timeoutSeconds: CP_TIMEOUT_S,
          acking: ph.acking,
          wholeIntervalsFrom,
        }),
      );
    }

    // The state files of the newest completed checkpoints, as `_metadata` lists them.
    let snapshotCheck: SnapshotCheck | undefined;
    if (cpPhases.some((ph) => ph.acking)) {
      snapshotCheck = await checkSnapshots(c, 20);
      say(
        `snapshot check: ${snapshotCheck.jobs} jobs' newest _metadata read, ${snapshotCheck.filesOk} state files found as listed, ${snapshotCheck.problems.length} problems`,
      );
    }

    // Results.
    const end = readProc(c.operator.process.pid);
    const peakMiB = end ? round(MiB(end.hwmBytes)) : undefined;
    const targets = {
      issue: TARGET_ISSUE,
      asserted: false,
      results: targetResults({
        parallelism: P,
        phases,
        burstReadyP99Ms: burstE2e.ready.p99,
        burstNotReady: burstE2e.notReady,
        ...(rateE2e
          ? {
              rate: {
                readyP99Ms: rateE2e.ready.p99,
                notReady: rateE2e.notReady,
                note: `${RATE_JOBS} jobs created at ${RATE}/s beside ${N} running`,
              },
            }
          : {}),
        steadyRssMiB,
        peakRssMiB: peakMiB,
      }),
    };
    const result = {
      benchmark: 'operator-scale',
      date: new Date().toISOString(),
      commit: gitCommit(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        kernel: release(),
        node: process.version,
        loadAvgStart: loadStart.map((x) => round(x, 2)),
        loadAvgEnd: loadavg().map((x) => round(x, 2)),
      },
      config: {
        jobs: N,
        parallelism: P,
        createConcurrency: CREATE_CONCURRENCY,
        readyTimeoutS: READY_TIMEOUT_S,
        settleMaxS: SETTLE_S,
        checkpointIntervalS: CP_INTERVAL_S,
        checkpointTimeoutS: CP_TIMEOUT_S,
        offIntervalS: OFF_INTERVAL_S,
        warmupS: WARMUP_S,
        phaseS: PHASE_S,
        snapshotBytes: SNAPSHOT_BYTES,
        steadyS: STEADY_S,
        rate: RATE,
        rateJobs: RATE > 0 ? RATE_JOBS : 0,
        operatorSettings: {
          build: 'bundle (operator/bundle.ts), compile cache filled by --help',
          leaderElection: true,
          logLevel: 'info',
          resync: '10m',
          ...settings,
        },
        notes: [
          'checkpoints "off" = spec.checkpoint.intervalSeconds 86400 (the CRD has no off switch)',
          'pods are made Running/Ready by the kubelet stand-in; no worker processes run',
          'checkpoints-ack: the benchmark acks for the workers through the API (one namespace-wide pod watch, admin credentials), each worker after uploading one state file of snapshotBytes to the snapshot directory in MinIO',
          'API/min op: apiserver_flowcontrol_dispatched_requests_total of the ServiceAccount flow schemas (only the operator uses a ServiceAccount here)',
        ],
      },
      operatorStartupMs: Math.round(startupMs),
      e2e: {
        burst: { readyMs: burstE2e.ready, runningMs: burstE2e.running, notReady: burstE2e.notReady },
        ...(rateE2e
          ? { rate: { readyMs: rateE2e.ready, runningMs: rateE2e.running, notReady: rateE2e.notReady } }
          : {}),
      },
      /** RSS 2 s after the operator became ready (no job yet), at the end of steady-off, and VmHWM at the end; MiB. */
      memory: { idleRssMiB, peakRssMiB: peakMiB, steadyRssMiB, samplesEverySecond: c.rssSamples.length },
      phases,
      ...(snapshotCheck ? { snapshotCheck } : {}),
      targets,
      benchRequests: { ...agent.counts },
      watches: { jobs: tracker.watchStats, pods: agent.watchStats },
      /** [seconds since start, RSS MiB, CPU seconds, open sockets] every second. */
      operatorTimeline: c.rssSamples.map((s) => [
        round((s.atMs - T0) / 1000, 0),
        round(MiB(s.rssBytes), 1),
        round(s.cpuSeconds, 2),
        s.sockets ?? null,
      ]),
    };
    const out = resolve(args.out);
    mkdirSync(dirname(out), { recursive: true });
    provenance.loadAverage.end = loadAverage();
    writeFileSync(out, `${JSON.stringify({ ...result, provenance }, null, 2)}\n`);

    console.log('');
    printTable(phases);
    console.log('');
    const e = (d: Dist) =>
      `p50 ${fmt(d.p50, ' ms')}, p99 ${fmt(d.p99, ' ms')}, max ${fmt(d.max, ' ms')} (n=${d.n})`;
    console.log(`end-to-end burst, create → Ready=True:   ${e(burstE2e.ready)}`);
    console.log(`end-to-end burst, create → phase Running: ${e(burstE2e.running)}`);
    if (rateE2e) console.log(`end-to-end at ${RATE}/s, create → Ready=True: ${e(rateE2e.ready)}`);
    for (const p of phases.filter((x) => x.checkpoints)) {
      const k = p.checkpoints!;
      console.log(
        `${p.name}: scheduled ${k.scheduledPerMin}/min, triggered ${k.triggeredPerMin}/min, completed ${k.completedPerMin}/min (every ${fmt(k.effectiveIntervalS, ' s')} per job; ${k.wholeIntervals.completedPerMin}/min over the last ${k.wholeIntervals.windowS} s), failed ${k.failedPerMin}/min; operator requests per completed ${fmt(k.operatorRequestsPerCompleted)}; state files uploaded ${k.stateFiles.uploads} (${k.stateFiles.uploadMiB} MiB, ${k.stateFiles.errors} failed); operator queue ${p.reconcile?.queueDepthStart} → ${p.reconcile?.queueDepthEnd}; request→commit ${e(k.requestToCommitMs)}`,
      );
    }
    console.log(
      `operator memory: without jobs ${fmt(idleRssMiB, ' MiB')}, peak (VmHWM) ${fmt(peakMiB, ' MiB')}, steady RSS with ${N} jobs ${fmt(steadyRssMiB, ' MiB')}`,
    );
    if (snapshotCheck) {
      console.log(
        `state files: ${snapshotCheck.filesOk} found in MinIO as the newest _metadata of ${snapshotCheck.jobs} jobs list them (sizes ${snapshotCheck.fileBytes.join(', ') || '—'} bytes); problems ${snapshotCheck.problems.length}`,
      );
      for (const problem of snapshotCheck.problems.slice(0, 5)) console.log(`  ${problem}`);
    }
    console.log(`targets ("${TARGET_ISSUE}"; printed, not asserted):`);
    for (const t of targets.results) {
      const what = `${t.name}${t.phase ? ` [${t.phase}]` : ''} ${t.op} ${t.limit}${t.unit}`;
      console.log(`  ${what}: ${fmt(t.value, t.unit)} → ${t.verdict}${t.note ? ` (${t.note})` : ''}`);
    }
    console.log(`results: ${out}`);
  } finally {
    if (!interrupted) await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `operator scale benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
