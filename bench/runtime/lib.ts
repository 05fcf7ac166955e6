/**
 * Scenarios of the runtime benchmark, shared by run.ts (the whole suite) and bench.ts (the
 * keyed-count scenario alone). Every scenario runs real worker processes (test/harness
 * LocalJob: local control mode, real TCP shuffle) against a private MinIO on loopback.
 *
 * Figures are wall-clock times of the benchmark process: throughput in events/s, durations in
 * ms, sizes in bytes. One machine, other load possible: indicative, never asserted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client as MinioClient } from 'minio';
import { jobPrefix } from '@sluice/api/layout.ts';
import type { WorkerStatus } from '../../runtime-image/src/control/control.ts';
import { LocalCoordinator, LocalJob, type LocalJobOptions } from '../../test/harness/local-workers.ts';
import { startMinio, type MinioServer } from '../../test/harness/minio-server.ts';
import { repoRoot } from '../../test/harness/paths.ts';
import { stopServer } from '../../test/harness/process.ts';
import { driverCpuMs, processTreeCpuMs } from './process-cpu.ts';
import type { LatencyFile, LatencyJobConfig } from './latency-job.ts';
import { LatencyHistogram, median, steadyRate, type CountSample, type SteadyRate } from './stats.ts';

/** Thousands-separated integer. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Bytes as MiB with one decimal. */
export const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/** A private MinIO and a scratch directory for worker logs and latency files. */
export interface BenchEnv {
  work: string;
  minio: MinioServer;
  client: MinioClient;
  bucket: string;
  logDir: string;
  /** Stops MinIO and deletes the scratch directory (unless `keep`). */
  close(): Promise<void>;
}

/**
 * Starts MinIO on a free loopback port with a bucket `bench`.
 * @param keep keep the scratch directory (worker logs) after close
 */
export async function startBenchEnv(keep = false): Promise<BenchEnv> {
  const work = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  let minio: MinioServer | undefined;
  try {
    minio = await startMinio(join(work, 'minio'));
    const client = new MinioClient(minio.info);
    await client.makeBucket('bench');
    const m = minio;
    return {
      work,
      minio: m,
      client,
      bucket: 'bench',
      logDir: join(work, 'logs'),
      async close() {
        await stopServer(m.process);
        if (keep) console.log(`(worker logs kept in ${join(work, 'logs')})`);
        else rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (minio) await stopServer(minio.process);
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/** Options for one attempt of a benchmark job; `name` also separates the scenarios' storage. */
export function jobOptions(
  env: BenchEnv,
  name: string,
  entry: string,
  config: unknown,
  parallelism: number,
  workerEnv: Record<string, string> = {},
): LocalJobOptions {
  return {
    name,
    entry,
    config,
    parallelism,
    attempt: 0,
    minio: env.minio.info,
    bucket: env.bucket,
    storagePrefix: jobPrefix('sluice', 'bench', name, `${name}-uid`),
    logDir: env.logDir,
    env: workerEnv,
  };
}

/**
 * Worker environment of the throughput and latency runs: log level `warn` (no progress lines);
 * the jobs' output goes to the discard sink.
 */
export const QUIET_WORKER_ENV = { SLUICE_LOG_LEVEL: 'warn' };

/**
 * Polls every worker's status (and CPU time) every `intervalMs` until `done` holds; returns the
 * samples. CPU is counted over whole process trees, as the Flink side counts its whole JVM
 * (docs/benchmarks.md): this driver process (its status polling is the counterpart of Flink's
 * in-JVM poller and JobManager) plus each worker's process tree; MinIO is left out on both sides.
 */
async function sample(
  job: LocalJob,
  counter: (s: WorkerStatus) => number,
  done: (total: number) => boolean,
  timeoutMs: number,
  intervalMs = 200,
): Promise<CountSample[]> {
  const samples: CountSample[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await job.statuses();
    const perWorker = st.map((x) => (x ? counter(x) : 0));
    const cpuMs = [driverCpuMs(), ...job.workers.map((w) => processTreeCpuMs(w.process.pid))];
    samples.push({ t: performance.now(), perWorker, ...(cpuMs.every(Number.isFinite) ? { cpuMs } : {}) });
    if (done(perWorker.reduce((a, b) => a + b, 0))) return samples;
    const dead = job.workers.findIndex((_, i) => job.hasExited(i));
    if (dead >= 0) throw new Error(`worker ${dead} exited during the run:\n${job.logTail(dead)}`);
    if (Date.now() > deadline) throw new Error(`run did not finish within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A throughput run. */
export interface ThroughputRun {
  /** Events of the run (wordcount: input lines; Nexmark: generated events; count job: records). */
  events: number;
  parallelism: number;
  /** Spawn → all workers running and connected, ms. */
  startMs: number;
  /** All running → last event counted, s. */
  wholeRunSeconds: number;
  steady: SteadyRate;
  /** Steady-state events/s divided by the number of workers. */
  eventsPerSecondPerWorker: number;
}

/**
 * Runs `entry` with a bounded input of `events` events and measures the steady-state rate of
 * `counter` (10 % → 90 % of `events`). The workers are killed afterwards (no final checkpoint).
 */
export async function measureThroughput(
  env: BenchEnv,
  o: {
    name: string;
    entry: string;
    config: unknown;
    parallelism: number;
    events: number;
    counter: (s: WorkerStatus) => number;
    workerEnv?: Record<string, string>;
    timeoutMs?: number;
  },
): Promise<ThroughputRun> {
  const t0 = performance.now();
  const job = await LocalJob.start(jobOptions(env, o.name, o.entry, o.config, o.parallelism, o.workerEnv));
  try {
    await job.waitRunning(120_000);
    const startMs = performance.now() - t0;
    const tRun = performance.now();
    const samples = await sample(job, o.counter, (n) => n >= o.events, o.timeoutMs ?? 900_000);
    const wholeRunSeconds = (performance.now() - tRun) / 1000;
    const steady = steadyRate(samples, o.events);
    return {
      events: o.events,
      parallelism: o.parallelism,
      startMs,
      wholeRunSeconds,
      steady,
      eventsPerSecondPerWorker: steady.eventsPerSecond / o.parallelism,
    };
  } finally {
    await job.stop();
  }
}

/** Path of the built-in-like benchmark jobs in this directory. */
export const benchJob = (file: string): string => resolve(import.meta.dirname, file);

/** Checkpoint and restore of the keyed count job at one state size. */
export interface CheckpointRun {
  keys: number;
  parallelism: number;
  /** Records fed to fill the state (each key `k<n mod keys>`). */
  records: number;
  /** Filling rate (source → shuffle → keyed count), steady state, records/s per worker. */
  fillRecordsPerSecondPerWorker: number | null;
  /** Request → last ack as the coordinator sees it, ms, one per checkpoint taken (same state). */
  durationsMs: number[];
  /** Each worker's own request → ack figure of the first checkpoint, ms. */
  workerDurationsMs: number[];
  /** Compressed snapshot files of the first checkpoint, bytes (sum over workers). */
  bytes: number;
  /** Spawn of a new attempt restoring the first checkpoint → all workers running, ms, one per restore. */
  restoresMs: number[];
  /** Each worker's snapshot load time in the first restore, ms. */
  workerLoadMs: number[];
  /** Keyed entries restored (all workers). */
  restoredEntries: number;
  /** Spawn → all running of a fresh attempt without state, ms, one per repeat (baseline of restoresMs). */
  freshStartsMs: number[];
}

/**
 * Fills the keyed count job (count-job.ts) with `keys` keys at `parallelism`, takes `repeats`
 * checkpoints of that state (request → last ack), starts `repeats` fresh attempts without state,
 * then restores the first checkpoint `repeats` times in new attempts (spawn → all workers running).
 */
export async function measureCheckpoint(
  env: BenchEnv,
  o: {
    keys: number;
    parallelism: number;
    records?: number;
    repeats?: number;
    workerEnv?: Record<string, string>;
    progress?: (line: string) => void;
  },
): Promise<CheckpointRun> {
  const records = o.records ?? o.keys;
  const repeats = o.repeats ?? 1;
  const name = `count-${o.keys}`;
  const base = jobOptions(
    env,
    name,
    benchJob('count-job.ts'),
    { records, keys: o.keys },
    o.parallelism,
    o.workerEnv,
  );
  const coord = new LocalCoordinator(env.client, env.bucket, base.storagePrefix);
  const log = o.progress ?? (() => undefined);

  const job = await LocalJob.start(base);
  let fill: number | null = null;
  let chk;
  const durationsMs: number[] = [];
  const workerDurationsMs: number[] = [];
  try {
    await job.waitRunning(120_000);
    const samples = await sample(
      job,
      (s) => s.recordsProcessed,
      (n) => n >= records,
      900_000,
      100,
    );
    try {
      fill = steadyRate(samples, records).eventsPerSecond / o.parallelism;
    } catch {
      // Too fast to sample: no figure.
    }
    for (let r = 0; r < repeats; r++) {
      const tc = performance.now();
      const c = await coord.checkpoint(job, { timeoutMs: 600_000 });
      durationsMs.push(performance.now() - tc);
      chk ??= c;
      log(`checkpoint ${c.id}: ${durationsMs[r]!.toFixed(0)} ms, ${fmt(c.metadata.bytes)} bytes`);
    }
    for (let i = 0; i < o.parallelism; i++) {
      const line = job.logLines(i).find((l) => l.msg === 'checkpoint acknowledged');
      workerDurationsMs.push(Number(line?.durationMs));
    }
  } finally {
    await job.stop();
  }
  const snapshot = chk!;
  const idle = { records: 0, keys: o.keys };

  const freshStartsMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const tf = performance.now();
    const fresh = await LocalJob.start({ ...base, attempt: 1 + r, config: idle });
    try {
      await fresh.waitRunning(120_000);
      freshStartsMs.push(performance.now() - tf);
    } finally {
      await fresh.stop();
    }
  }
  log(`fresh start without state: ${freshStartsMs.map((x) => x.toFixed(0)).join(', ')} ms`);

  const restoresMs: number[] = [];
  const workerLoadMs: number[] = [];
  let restoredEntries = 0;
  for (let r = 0; r < repeats; r++) {
    const tr = performance.now();
    const restored = await LocalJob.start({
      ...base,
      attempt: 1 + repeats + r,
      restoreFrom: snapshot.path,
      config: idle,
    });
    try {
      const rs = await restored.waitRunning(600_000);
      restoresMs.push(performance.now() - tr);
      log(`restore ${r + 1}: ${restoresMs[r]!.toFixed(0)} ms spawn → all running`);
      if (r === 0) {
        restoredEntries = rs.reduce((n, s) => n + (s?.restoredEntries ?? 0), 0);
        for (let i = 0; i < o.parallelism; i++) {
          const line = restored.logLines(i).find((l) => l.msg === 'snapshot loaded');
          workerLoadMs.push(Number(line?.durationMs));
        }
      }
    } finally {
      await restored.stop();
    }
  }
  return {
    keys: o.keys,
    parallelism: o.parallelism,
    records,
    fillRecordsPerSecondPerWorker: fill,
    durationsMs,
    workerDurationsMs,
    bytes: snapshot.metadata.bytes,
    restoresMs,
    workerLoadMs,
    restoredEntries,
    freshStartsMs,
  };
}

/** End-to-end latency of the wordcount pipeline at a fixed input rate. */
export interface LatencyRun {
  parallelism: number;
  /** Configured input rate, lines/s (all workers). */
  rate: number;
  /** Input rate reached over the measured interval, lines/s (all workers). */
  achievedRate: number;
  /** Word records measured. */
  samples: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
  warmupMs: number;
  measureMs: number;
}

/**
 * Runs latency-job.ts (wordcount's pipeline, lines stamped at the source) at `rate` lines/s and
 * merges the workers' histograms of `now − stamp` at the count operator, measured from
 * `warmupMs` after each worker's first record for `measureMs`.
 */
export async function measureLatency(
  env: BenchEnv,
  o: { rate: number; parallelism: number; warmupMs: number; measureMs: number },
): Promise<LatencyRun> {
  const outDir = join(env.work, `latency-p${o.parallelism}`);
  mkdirSync(outDir, { recursive: true });
  const config: LatencyJobConfig = {
    rate: o.rate,
    outDir,
    warmupMs: o.warmupMs,
    measureMs: o.measureMs,
  };
  const job = await LocalJob.start(
    jobOptions(
      env,
      `latency-p${o.parallelism}`,
      benchJob('latency-job.ts'),
      config,
      o.parallelism,
      QUIET_WORKER_ENV,
    ),
  );
  try {
    await job.waitRunning(120_000);
    const files = () => readdirSync(outDir).filter((f) => /^latency-\d+\.json$/.test(f));
    const samples = await sample(
      job,
      (s) => s.recordsRead,
      () => files().length >= o.parallelism,
      o.warmupMs + o.measureMs + 120_000,
      250,
    );
    const parsed = files().map((f) => JSON.parse(readFileSync(join(outDir, f), 'utf8')) as LatencyFile);
    const h = new LatencyHistogram();
    for (const p of parsed) h.merge(LatencyHistogram.fromJSON(p.histogram));
    // Input rate over the common measured interval (bench clock ≈ wall clock offsets cancel in a difference).
    const fromWall = Math.max(...parsed.map((p) => p.fromMs));
    const toWall = Math.min(...parsed.map((p) => p.toMs));
    const offset = performance.timeOrigin;
    const inWindow = samples.filter((s) => s.t + offset >= fromWall && s.t + offset <= toWall);
    const first = inWindow[0];
    const last = inWindow[inWindow.length - 1];
    const total = (s: CountSample) => s.perWorker.reduce((a, b) => a + b, 0);
    const achievedRate =
      first && last && last.t > first.t ? ((total(last) - total(first)) * 1000) / (last.t - first.t) : NaN;
    return {
      parallelism: o.parallelism,
      rate: o.rate,
      achievedRate,
      samples: h.count,
      p50Ms: h.quantile(0.5),
      p99Ms: h.quantile(0.99),
      p999Ms: h.quantile(0.999),
      maxMs: h.maxMs,
      meanMs: h.mean(),
      warmupMs: o.warmupMs,
      measureMs: o.measureMs,
    };
  } finally {
    await job.stop();
  }
}

/**
 * `<package version>+<git describe --always>`, with `-dirty` when the measured code (api/,
 * runtime-image/, bench/runtime/) has uncommitted changes; the package version without git.
 */
export function engineVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'api', 'runtime-image', 'bench/runtime') !== '';
    return `${pkg.version}+${git('describe', '--always')}${dirty ? '-dirty' : ''}`;
  } catch {
    return pkg.version;
  }
}

/** CPUs available to this process and the CPU model from /proc/cpuinfo. */
export function machineInfo(): { cpus: number; model: string } {
  let model = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {
    // not Linux
  }
  return { cpus: availableParallelism(), model };
}

export { median };
