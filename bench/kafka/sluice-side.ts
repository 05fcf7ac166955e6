/**
 * The Sluice side of the Kafka benchmark: the Q1 job (q1-job.ts) as real worker processes in
 * local control mode (test/harness/local-workers.ts, as bench/runtime does), with the driver
 * playing the operator's checkpoint coordinator at a fixed interval — each checkpoint commits the
 * sink's transactions.
 */
import { LocalCoordinator, LocalJob } from '../../test/harness/local-workers.ts';
import { processTreeCpuMs } from '../runtime/process-cpu.ts';
import { jobOptions, type BenchEnv } from '../runtime/lib.ts';
import { OffsetWatcher, latencyTraffic, type LatencyReading } from './kafka-io.ts';
import { completion, type OffsetSample } from './report.ts';
import type { Q1JobConfig } from './q1-job.ts';

const JOB = new URL('./q1-job.ts', import.meta.url).pathname;

/** What both Sluice runs need. */
export interface SluiceSetup {
  env: BenchEnv;
  bootstrap: string;
  checkpointIntervalMs: number;
  /** Extra worker environment (ab.ts: NODE_OPTIONS with --cpu-prof). */
  workerEnv?: Record<string, string>;
}

function workerEnv(s: SluiceSetup): Record<string, string> {
  return {
    SLUICE_LOG_LEVEL: 'warn',
    // What the operator passes: the sink checks its transaction timeout against them.
    SLUICE_CHECKPOINT_INTERVAL_MS: String(s.checkpointIntervalMs),
    SLUICE_CHECKPOINT_TIMEOUT_MS: '600000',
    ...s.workerEnv,
  };
}

/**
 * Triggers a checkpoint every `intervalMs` (from one trigger to the next; one at a time, as
 * Flink's defaults) until `stop()` or until every worker has exited (a bounded job exits after
 * its final checkpoint is committed).
 */
function checkpointLoop(job: LocalJob, coord: LocalCoordinator, intervalMs: number) {
  let stopped = false;
  let completed = 0;
  const allExited = () => job.workers.every((_, i) => job.hasExited(i));
  const done = (async () => {
    let next = performance.now() + intervalMs;
    while (!stopped && !allExited()) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 50)));
      if (performance.now() < next) continue;
      next = performance.now() + intervalMs;
      if (stopped || allExited()) break;
      try {
        await coord.checkpoint(job, { timeoutMs: 600_000 });
        completed++;
      } catch (err) {
        // The final checkpoint's commit lets the workers exit: a request after it finds them gone.
        await new Promise((r) => setTimeout(r, 200));
        if (allExited() || stopped) break;
        throw err;
      }
    }
  })();
  // Awaited by stop() or raced by the caller; not an unhandled rejection meanwhile.
  done.catch(() => undefined);
  return {
    done,
    completed: () => completed,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

/** CPU of the workers' process trees, ms; a worker that exited keeps its last readable figure. */
function cpuReader(job: LocalJob): () => number {
  const last = job.workers.map(() => 0);
  return () => {
    job.workers.forEach((w, i) => {
      const ms = processTreeCpuMs(w.process.pid);
      if (Number.isFinite(ms)) last[i] = ms;
    });
    return last.reduce((a, b) => a + b, 0);
  };
}

/**
 * Runs the bounded job over `input` into `output` (created by the caller) at `parallelism`, from
 * the spawn of the workers until they exit, sampling the output's last stable offset and the
 * workers' CPU every `sampleMs`.
 * @returns wall time and CPU to the sample where everything was committed, and the checkpoints taken
 * @throws Error when a worker fails, or the output is not fully committed when the job is done
 */
export async function sluiceThroughput(
  s: SluiceSetup,
  o: {
    name: string;
    input: string;
    output: string;
    parallelism: number;
    sampleMs?: number;
    /** The job module (default q1-job.ts of this tree; ab.ts passes a baseline tree's copy). */
    entry?: string;
  },
): Promise<{ wallSeconds: number; cpuSeconds: number | null; checkpoints: number; startSeconds: number }> {
  const config: Q1JobConfig = {
    bootstrap: s.bootstrap,
    input: o.input,
    output: o.output,
    bounded: true,
    transactionalIdPrefix: o.name,
  };
  const opts = jobOptions(s.env, o.name, o.entry ?? JOB, config, o.parallelism, workerEnv(s));
  const coord = new LocalCoordinator(s.env.client, s.env.bucket, opts.storagePrefix);
  const watcher = new OffsetWatcher(s.bootstrap);
  const t0 = performance.now();
  const job = await LocalJob.start(opts);
  const cpu = cpuReader(job);
  const samples: OffsetSample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({ t: performance.now(), stable: await watcher.sum(o.output), cpuMs: cpu() });
      await new Promise((r) => setTimeout(r, o.sampleMs ?? 100));
    }
  })();
  try {
    await job.waitRunning(120_000);
    const startSeconds = (performance.now() - t0) / 1000;
    const loop = checkpointLoop(job, coord, s.checkpointIntervalMs);
    // A failing checkpoint (the loop rejects) ends the wait: the workers would never finish.
    const allExits = Promise.all(job.workers.map((w) => w.exit));
    const exits = await Promise.race([allExits, loop.done.then(() => allExits)]);
    await loop.stop();
    sampling = false;
    await sampler;
    const bad = exits.findIndex((e) => e.code !== 0);
    if (bad >= 0)
      throw new Error(`worker ${bad} exited with ${JSON.stringify(exits[bad])}:\n${job.logTail(bad)}`);
    const stable = await watcher.sum(o.output, 'read_committed');
    const end = await watcher.sum(o.output, 'read_uncommitted');
    if (stable !== end)
      throw new Error(
        `${o.output}: the job is done but transactions are open (last stable offset ${stable} < end ${end})`,
      );
    samples.push({ t: performance.now(), stable, cpuMs: cpu() });
    const m = completion({ t: t0, cpuMs: 0 }, samples, stable);
    return { ...m, checkpoints: loop.completed(), startSeconds };
  } finally {
    sampling = false;
    await sampler.catch(() => undefined);
    await job.stop();
    await watcher.close();
  }
}

/**
 * The latency scenario on Sluice: the unbounded job over `input` → `output` (both created by the
 * caller, `input` empty), checkpointing every interval; once every worker runs, `records` bids
 * are produced at `rate`/s and read back with read_committed.
 */
export async function sluiceLatency(
  s: SluiceSetup,
  o: {
    name: string;
    input: string;
    output: string;
    parallelism: number;
    partitions: number;
    records: number;
    rate: number;
  },
): Promise<LatencyReading> {
  const config: Q1JobConfig = {
    bootstrap: s.bootstrap,
    input: o.input,
    output: o.output,
    bounded: false,
    transactionalIdPrefix: o.name,
  };
  const opts = jobOptions(s.env, o.name, JOB, config, o.parallelism, workerEnv(s));
  const coord = new LocalCoordinator(s.env.client, s.env.bucket, opts.storagePrefix);
  const job = await LocalJob.start(opts);
  try {
    await job.waitRunning(120_000);
    const loop = checkpointLoop(job, coord, s.checkpointIntervalMs);
    try {
      return await latencyTraffic(s.bootstrap, o.input, o.output, o.partitions, o.records, o.rate);
    } finally {
      await loop.stop();
    }
  } finally {
    await job.stop();
  }
}
