/**
 * Runtime benchmark suite, the Sluice side of the comparison with Flink (bench/compare.ts):
 *
 *   node bench/runtime/run.ts [--only throughput,latency,checkpoints] [--out bench/results/sluice-runtime.json]
 *     throughput:  [--parallelism 1,2] [--wordcount-lines 6000000] [--nexmark-events 20000000]
 *                  [--nexmark-queries nexmark-q0,nexmark-q1,nexmark-q2,nexmark-q5,nexmark-q7]
 *     latency:     [--latency-rate 50000] [--latency-parallelism 2] [--latency-warmup-s 5] [--latency-seconds 20]
 *     checkpoints: [--keys 10000,100000,1000000] [--with-10m] [--checkpoint-parallelism 2] [--checkpoint-repeats 3]
 *     [--merge] [--keep-logs] [--help]
 *
 * Starts a private MinIO and runs real worker processes (local control mode, TCP shuffle):
 *   1. throughput of the built-in `wordcount` (generator input, defaults: 8 words per line over
 *      1000 words) and the Nexmark queries (generator input, query defaults), output to the
 *      discard sink, at each parallelism: steady-state input events/s per worker between 10 %
 *      and 90 % of the input (the same defaults as bench/flink's Main);
 *   2. end-to-end latency of wordcount's pipeline at a fixed input rate (latency-job.ts);
 *   3. checkpoint duration and size and restore time of the keyed count job (count-job.ts)
 *      against the number of keys.
 * Writes the results (shared format, compare-report.ts) with their provenance (machine, load,
 * node version, commit, run id, every parameter; collect-provenance.ts) after every scenario, so
 * an aborted run keeps what it measured. With --merge, the sections of scenarios not run now are
 * kept from the existing --out file — only when it is of the same run (BENCH_RUN_ID) and commit.
 * Figures are indicative: one machine, possibly shared, one run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  parseResults,
  type CheckpointResult,
  type EngineResults,
  type LatencyResult,
  type ThroughputResult,
} from '../compare-report.ts';
import { collectProvenance, loadAverage } from '../collect-provenance.ts';
import { mergeRefusal } from '../provenance.ts';
import {
  QUIET_WORKER_ENV,
  engineVersion,
  fmt,
  machineInfo,
  measureCheckpoint,
  measureLatency,
  measureThroughput,
  median,
  mib,
  startBenchEnv,
  type BenchEnv,
} from './lib.ts';
import { printUsageAndExit } from '../usage.ts';
import { DEFAULT_OUTPUT_OPTIONS } from '../../runtime-image/src/shuffle/output-gate.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'throughput,latency,checkpoints' },
    out: { type: 'string', default: resolve(import.meta.dirname, '..', 'results', 'sluice-runtime.json') },
    parallelism: { type: 'string', default: '1,2' },
    'wordcount-lines': { type: 'string', default: '6000000' },
    'nexmark-events': { type: 'string', default: '20000000' },
    'nexmark-queries': { type: 'string', default: 'nexmark-q0,nexmark-q1,nexmark-q2,nexmark-q5,nexmark-q7' },
    'latency-rate': { type: 'string', default: '50000' },
    'latency-parallelism': { type: 'string', default: '2' },
    'latency-warmup-s': { type: 'string', default: '5' },
    'latency-seconds': { type: 'string', default: '20' },
    keys: { type: 'string', default: '10000,100000,1000000' },
    'with-10m': { type: 'boolean', default: false },
    'checkpoint-parallelism': { type: 'string', default: '2' },
    'checkpoint-repeats': { type: 'string', default: '3' },
    merge: { type: 'boolean', default: false },
    'keep-logs': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) printUsageAndExit(import.meta.filename);

/** Parses a positive number argument. @throws Error naming the option */
function positive(name: string, v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
}
const list = (name: string, v: string): number[] => v.split(',').map((x) => positive(name, x.trim()));

const only = new Set(values.only.split(',').map((s) => s.trim()));
for (const s of only)
  if (!['throughput', 'latency', 'checkpoints'].includes(s)) throw new Error(`--only: unknown scenario ${s}`);
const PARALLELISMS = list('parallelism', values.parallelism);
const WC_LINES = positive('wordcount-lines', values['wordcount-lines']);
const NEXMARK_EVENTS = positive('nexmark-events', values['nexmark-events']);
const NEXMARK_QUERIES = values['nexmark-queries'].split(',').map((q) => q.trim());
for (const q of NEXMARK_QUERIES)
  if (!/^nexmark-q[01257]$/.test(q)) throw new Error(`--nexmark-queries: unknown query ${q}`);
const LAT_RATE = positive('latency-rate', values['latency-rate']);
const LAT_P = positive('latency-parallelism', values['latency-parallelism']);
const LAT_WARMUP_MS = positive('latency-warmup-s', values['latency-warmup-s']) * 1000;
const LAT_MS = positive('latency-seconds', values['latency-seconds']) * 1000;
const KEYS = [...list('keys', values.keys), ...(values['with-10m'] ? [10_000_000] : [])];
const CHK_P = positive('checkpoint-parallelism', values['checkpoint-parallelism']);
const CHK_REPEATS = positive('checkpoint-repeats', values['checkpoint-repeats']);

/** Heap of the workers in the checkpoint runs: 10M keys need more than V8's default. */
const CHECKPOINT_WORKER_ENV = {
  NODE_OPTIONS: `--no-warnings --max-old-space-size=${KEYS.some((k) => k > 2_000_000) ? 12288 : 4096}`,
};

const provenance = collectProvenance(values);

const results: EngineResults & {
  date: string;
  loadAverage: { start: number[]; end: number[] | null };
  provenance: typeof provenance;
} = {
  engine: 'sluice',
  version: engineVersion(),
  runtime: `node ${process.version}`,
  machine: machineInfo(),
  throughput: [],
  latency: [],
  checkpoints: [],
  date: provenance.date,
  loadAverage: provenance.loadAverage,
  provenance,
  notes: [
    'Sluice runtime: worker processes started locally (test/harness LocalJob, local control mode), real TCP shuffle between them, snapshots in a private MinIO on loopback; workers and MinIO share the machine.',
    "throughput: input events/s (wordcount: generated lines; Nexmark: generated Nexmark events) read by the sources between 10 % and 90 % of the bounded input (no process start, no tail), summed over the workers and divided by the parallelism. Status sampled every 200 ms. Per worker is not per core: a worker is one Node process whose JavaScript runs on one thread (GC and I/O threads besides); cpuCores = CPU time (user + system, /proc/<pid>/stat) of whole process trees — this benchmark driver (its status polling is the counterpart of the poller and JobManager inside Flink's JVM) and each worker's process tree; MinIO excluded, as on the Flink side — ÷ wall time over the same interval, eventsPerCpuSecond = events/s ÷ cpuCores. No warm-up run: every run starts fresh worker processes and the steady window (10–90 %) leaves out their start.",
    "throughput: the real built-in jobs with their default config (wordcount: generator input, 4 partitions, 8 words per line over a vocabulary of 1000, seed 1; Nexmark q0, q1, q2, q5 (HOP 10 s / 2 s), q7 (TUMBLE 10 s) with the queries' semantics, 4 partitions, generator defaults), output to the discard sink (output {discard: {}}, as Flink's DiscardingSink).",
    'latency: bench/runtime/latency-job.ts — wordcount’s corpus (syntheticLine), tokenizer (words) and keyed count, output to the discard sink; each line is stamped with the wall clock (performance.timeOrigin + performance.now(), sub-ms) when the source generates it, carried as the record’s event time, and the count operator records now − stamp for every word. Each worker measures from warmup after its first record for the measured interval; histograms (2 % buckets) are merged.',
    'checkpoints: bench/runtime/count-job.ts (generator → keyBy → per-key count in value state, no output) filled with exactly `keys` records k0..k(keys−1). durationMs: median over the repeated checkpoints of that state (durationsMs lists them; the first is usually the slowest, cold code) of request → last ack as the coordinator sees it: LocalCoordinator.checkpoint() from the HTTP PUT of the request to every worker until every ack was polled (every 20 ms), _metadata written and the commit delivered (the last two take a few ms) — the definition of the earlier figures in docs/runtime.md. bytes: compressed snapshot files (zstd) of the first checkpoint. restoreMs: median over restores of the first checkpoint of spawning a new attempt of processes → all workers running and connected (includes Node start, job load, snapshot download and decode; freshStartMs: median of as many starts without state, the baseline; restoreMs − freshStartMs is the state part). Heap state backend (a full synchronous snapshot per checkpoint).',
    'Figures of one run on a shared machine: other processes (tests, builds) may have been running.',
  ],
};

if (values.merge && existsSync(values.out)) {
  const old = parseResults(JSON.parse(readFileSync(values.out, 'utf8')) as unknown, values.out);
  // One file holds one run: figures of another run would be published under this run's provenance.
  const refusal = mergeRefusal(old, values.out, provenance);
  if (refusal) throw new Error(`--merge: ${refusal}`);
  if (!only.has('throughput')) results.throughput = old.throughput;
  if (!only.has('latency')) results.latency = old.latency;
  if (!only.has('checkpoints')) results.checkpoints = old.checkpoints;
}

function save(): void {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
}

const say = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

async function throughput(env: BenchEnv): Promise<void> {
  const jobs = [
    {
      job: 'wordcount',
      unit: 'lines',
      events: WC_LINES,
      config: (events: number) => ({ input: { generator: { lines: events } }, output: { discard: {} } }),
    },
    ...NEXMARK_QUERIES.map((job) => ({
      job,
      unit: 'events',
      events: NEXMARK_EVENTS,
      config: (events: number) => ({ events, output: { discard: {} } }),
    })),
  ];
  for (const j of jobs) {
    for (const p of PARALLELISMS) {
      const events = j.events;
      say(`▶ throughput ${j.job} p=${p}: ${fmt(events)} ${j.unit}`);
      const r = await measureThroughput(env, {
        name: `${j.job}-p${p}`,
        entry: j.job,
        config: j.config(events),
        parallelism: p,
        events,
        counter: (s) => s.recordsRead,
        workerEnv: QUIET_WORKER_ENV,
      });
      const entry: ThroughputResult = {
        job: j.job,
        parallelism: p,
        events,
        eventsPerSecondPerWorker: Math.round(r.eventsPerSecondPerWorker),
        eventsPerSecond: Math.round(r.steady.eventsPerSecond),
        perWorker: r.steady.perWorker.map(Math.round),
        ...(r.steady.cpuCores !== undefined
          ? {
              cpuCores: Number(r.steady.cpuCores.toFixed(2)),
              eventsPerCpuSecond: Math.round(r.steady.eventsPerCpuSecond ?? NaN),
            }
          : {}),
        steadySeconds: Number(r.steady.seconds.toFixed(2)),
        wholeRunSeconds: Number(r.wholeRunSeconds.toFixed(2)),
        startMs: Math.round(r.startMs),
      };
      results.throughput.push(entry);
      save();
      say(
        `✓ ${j.job} p=${p}: ${fmt(r.eventsPerSecondPerWorker)} ${j.unit}/s per worker (total ${fmt(r.steady.eventsPerSecond)}; ${r.steady.cpuCores?.toFixed(2) ?? '?'} cores busy, ${fmt(r.steady.eventsPerCpuSecond ?? NaN)} per CPU-second; steady ${r.steady.seconds.toFixed(1)} s of ${r.wholeRunSeconds.toFixed(1)} s)`,
      );
    }
  }
}

async function latency(env: BenchEnv): Promise<void> {
  say(
    `▶ latency wordcount p=${LAT_P} at ${fmt(LAT_RATE)} lines/s: warm-up ${LAT_WARMUP_MS / 1000} s, measure ${LAT_MS / 1000} s`,
  );
  const r = await measureLatency(env, {
    rate: LAT_RATE,
    parallelism: LAT_P,
    warmupMs: LAT_WARMUP_MS,
    measureMs: LAT_MS,
  });
  const round = (x: number) => Number(x.toFixed(2));
  const entry: LatencyResult = {
    job: 'wordcount',
    parallelism: LAT_P,
    rate: LAT_RATE,
    p50Ms: round(r.p50Ms),
    p99Ms: round(r.p99Ms),
    settings:
      `source stamps each line when it generates it (wall clock, sub-ms; an idle source sleeps 5 ms, then generates the lines its rate allows in one poll, so waiting for the poll is not counted), measured per word at the keyed count (last operator before the sink); ` +
      `generator rate limit ${LAT_RATE} lines/s total (token bucket); shuffle batches of ${DEFAULT_OUTPUT_OPTIONS.batchSize} records or a ${DEFAULT_OUTPUT_OPTIONS.lingerMs} ms flush, credit-based; ` +
      `warm-up ${LAT_WARMUP_MS / 1000} s, measured ${LAT_MS / 1000} s; no checkpoints during the run`,
    p999Ms: round(r.p999Ms),
    maxMs: round(r.maxMs),
    meanMs: round(r.meanMs),
    samples: r.samples,
    achievedRate: Math.round(r.achievedRate),
  };
  results.latency.push(entry);
  save();
  say(
    `✓ latency p=${LAT_P}: p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, p99.9 ${r.p999Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(1)} ms over ${fmt(r.samples)} words (input ${fmt(r.achievedRate)} lines/s)`,
  );
}

async function checkpoints(env: BenchEnv): Promise<void> {
  for (const keys of KEYS) {
    say(`▶ checkpoint/restore of ${fmt(keys)} keys at p=${CHK_P} (${CHK_REPEATS}× each)`);
    const r = await measureCheckpoint(env, {
      keys,
      parallelism: CHK_P,
      repeats: CHK_REPEATS,
      workerEnv: CHECKPOINT_WORKER_ENV,
      progress: (l) => say(`  ${l}`),
    });
    const entry: CheckpointResult = {
      keys,
      parallelism: CHK_P,
      durationMs: Math.round(median(r.durationsMs)),
      bytes: r.bytes,
      restoreMs: Math.round(median(r.restoresMs)),
      backend: 'heap',
      durationsMs: r.durationsMs.map(Math.round),
      restoresMs: r.restoresMs.map(Math.round),
      workerDurationsMs: r.workerDurationsMs,
      workerSnapshotLoadMs: r.workerLoadMs,
      restoredEntries: r.restoredEntries,
      freshStartMs: Math.round(median(r.freshStartsMs)),
      freshStartsMs: r.freshStartsMs.map(Math.round),
      fillRecordsPerSecondPerWorker:
        r.fillRecordsPerSecondPerWorker === null ? null : Math.round(r.fillRecordsPerSecondPerWorker),
    };
    results.checkpoints.push(entry);
    save();
    say(
      `✓ ${fmt(keys)} keys: checkpoint ${entry.durationMs} ms, ${mib(r.bytes)} (${fmt(r.bytes)} bytes); restore ${entry.restoreMs} ms (fresh start ${entry.freshStartMs} ms; ${fmt(r.restoredEntries)} entries)`,
    );
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  say(
    `Sluice runtime benchmark: ${results.version}, ${results.runtime}, ${results.machine.cpus} CPUs (${results.machine.model}); scenarios ${[...only].join(', ')}`,
  );
  const env = await startBenchEnv(values['keep-logs']);
  try {
    if (only.has('throughput')) await throughput(env);
    if (only.has('latency')) await latency(env);
    if (only.has('checkpoints')) await checkpoints(env);
  } finally {
    await env.close();
  }
  results.loadAverage.end = loadAverage();
  save();
  say(
    `load average (1, 5, 15 min): ${results.loadAverage.start.join(' ')} at start, ${results.loadAverage.end.join(' ')} at end`,
  );
  say(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s; results in ${values.out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
