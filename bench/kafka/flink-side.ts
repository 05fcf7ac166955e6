/**
 * The Flink side of the Kafka benchmark: bench/flink's KafkaPipelineBench (Flink 2.3.0
 * MiniCluster, flink-connector-kafka) as a JVM child process, driven over its stdout protocol.
 * The driver measures it as it measures Sluice: wall clock and the JVM's CPU (the whole process,
 * JobManager and TaskManagers) from the `measured-start` line, and the output's last stable offset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { processTreeCpuMs } from '../runtime/process-cpu.ts';
import type { BenchEnv } from '../runtime/lib.ts';
import { OffsetWatcher, latencyTraffic, type LatencyReading } from './kafka-io.ts';
import { completion, type OffsetSample } from './report.ts';

const root = resolve(import.meta.dirname, '..', '..');
const CLASSPATH = `${root}/bench/flink/target/sluice-flink-bench-0.1.0.jar:${root}/bench/flink/target/lib/*`;

/** What both Flink runs need. */
export interface FlinkSetup {
  env: BenchEnv;
  bootstrap: string;
  checkpointIntervalMs: number;
  /** JVM heap, e.g. `4g`. */
  heap: string;
  /** Fraction of each input partition the discarded warm-up run reads. */
  warmupFraction: number;
  /** Input topic of the warm-up runs (the throughput input). */
  warmupInput: string;
}

/** One KafkaPipelineBench process and its protocol lines. */
class FlinkProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  private readonly waiters = new Map<string, Array<(e: Record<string, unknown>) => void>>();
  readonly events: Array<Record<string, unknown>> = [];
  private stderr = '';
  readonly exited: Promise<number | null>;

  constructor(s: FlinkSetup, args: Record<string, string | number>, name: string) {
    this.logFile = join(s.env.logDir, `${name}-flink.log`);
    const argv = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
    // java-opts.sh holds the JVM flags Flink needs on Java 17 (a bash array); exec keeps the pid.
    const script =
      'source bench/flink/java-opts.sh; exec setpriv --pdeathsig KILL -- java -Xmx"$HEAP" "${JAVA_OPTS[@]}" ' +
      '-Dbench.log="$BENCH_LOG" -cp "$CP" dev.sluice.bench.flink.KafkaPipelineBench "$@"';
    const minio = s.env.minio.info;
    this.child = spawn('bash', ['-c', script, 'kafka-pipeline-bench', ...argv], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HEAP: s.heap,
        BENCH_LOG: this.logFile,
        CP: CLASSPATH,
        BENCH_S3_ENDPOINT: minio.url,
        BENCH_S3_ACCESS_KEY: minio.accessKey,
        BENCH_S3_SECRET_KEY: minio.secretKey,
        BENCH_S3_BUCKET: s.env.bucket,
      },
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8000);
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith('KAFKA-BENCH ')) return;
      const e = JSON.parse(line.slice('KAFKA-BENCH '.length)) as Record<string, unknown>;
      this.events.push(e);
      for (const w of this.waiters.get(String(e.event)) ?? []) w(e);
      this.waiters.delete(String(e.event));
    });
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Resolves with the protocol line `event` (already seen or next).
   * @throws Error with the JVM's stderr when the process exits first
   */
  next(event: string): Promise<Record<string, unknown>> {
    const seen = this.events.find((e) => e.event === event);
    if (seen) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const list = this.waiters.get(event) ?? [];
      list.push(res);
      this.waiters.set(event, list);
      void this.exited.then((code) =>
        rej(
          new Error(
            `Flink (KafkaPipelineBench) exited with ${code} before "${event}"; its log: ${this.logFile}\n${this.stderr}`,
          ),
        ),
      );
    });
  }

  /** SIGKILL if still running. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** The KafkaPipelineBench arguments both scenarios share. */
function pipelineArgs(
  s: FlinkSetup,
  o: { name: string; input: string; output: string; warmupOutput: string; parallelism: number },
  mode: 'throughput' | 'latency',
): Record<string, string | number> {
  return {
    bootstrap: s.bootstrap,
    'input-topic': o.input,
    'output-topic': o.output,
    'warmup-input-topic': s.warmupInput,
    'warmup-output-topic': o.warmupOutput,
    'warmup-fraction': s.warmupFraction,
    mode,
    parallelism: o.parallelism,
    'checkpoint-interval-ms': s.checkpointIntervalMs,
    'transactional-id-prefix': o.name,
  };
}

/**
 * The throughput run on Flink: the JVM starts a MiniCluster with `parallelism` TaskManagers,
 * runs the discarded warm-up job, then the measured bounded job over `input` into `output`
 * (created by the caller; so is `warmupOutput`).
 * @returns wall time and JVM CPU from `measured-start` to the sample where everything was committed
 */
export async function flinkThroughput(
  s: FlinkSetup,
  o: {
    name: string;
    input: string;
    output: string;
    warmupOutput: string;
    parallelism: number;
    sampleMs?: number;
  },
): Promise<{
  wallSeconds: number;
  cpuSeconds: number | null;
  warmup?: { records: number; seconds: number };
}> {
  const watcher = new OffsetWatcher(s.bootstrap);
  const jvm = new FlinkProcess(
    s,
    {
      ...pipelineArgs(s, o, 'throughput'),
    },
    o.name,
  );
  try {
    await jvm.next('measured-start');
    const start = { t: performance.now(), cpuMs: processTreeCpuMs(jvm.pid) };
    const samples: OffsetSample[] = [];
    let finished = false;
    void jvm.next('finished').then(
      () => (finished = true),
      () => undefined,
    );
    while (!finished) {
      samples.push({
        t: performance.now(),
        stable: await watcher.sum(o.output),
        cpuMs: processTreeCpuMs(jvm.pid),
      });
      if (jvm.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, o.sampleMs ?? 100));
    }
    await jvm.next('finished');
    const stable = await watcher.sum(o.output, 'read_committed');
    const end = await watcher.sum(o.output, 'read_uncommitted');
    if (stable !== end)
      throw new Error(
        `${o.output}: Flink's job finished but transactions are open (last stable offset ${stable} < end ${end})`,
      );
    samples.push({ t: performance.now(), stable, cpuMs: processTreeCpuMs(jvm.pid) });
    const m = completion(start, samples, stable);
    const code = await jvm.exited;
    if (code !== 0) throw new Error(`Flink exited with ${code}; its log: ${jvm.logFile}`);
    const w = jvm.events.find((e) => e.event === 'warmup-done');
    return { ...m, ...(w ? { warmup: { records: Number(w.records), seconds: Number(w.seconds) } } : {}) };
  } finally {
    jvm.kill();
    await watcher.close();
  }
}

/**
 * The latency scenario on Flink: after the discarded warm-up job, the unbounded job over `input`
 * → `output` (both created by the caller); once every subtask runs, `records` bids are produced
 * at `rate`/s and read back with read_committed; then the job is cancelled.
 */
export async function flinkLatency(
  s: FlinkSetup,
  o: {
    name: string;
    input: string;
    output: string;
    warmupOutput: string;
    parallelism: number;
    partitions: number;
    records: number;
    rate: number;
  },
): Promise<LatencyReading> {
  const jvm = new FlinkProcess(
    s,
    {
      ...pipelineArgs(s, o, 'latency'),
    },
    o.name,
  );
  try {
    await jvm.next('running');
    const reading = await latencyTraffic(s.bootstrap, o.input, o.output, o.partitions, o.records, o.rate);
    jvm.child.stdin!.end('stop\n');
    await jvm.next('stopped');
    return reading;
  } finally {
    jvm.kill();
  }
}
