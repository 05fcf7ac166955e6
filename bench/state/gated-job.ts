/**
 * One running attempt of keyed-value-job.ts at parallelism 1, driven by the state benchmark: the
 * driver releases records through the job's gate file, waits until the keyed stage processed
 * them, takes checkpoints with the test harness's LocalCoordinator, and samples the worker's
 * resident memory (/proc/<pid>/status) while it waits.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCoordinator, LocalJob } from '../../test/harness/local-workers.ts';
import { benchJob, jobOptions, type BenchEnv } from '../runtime/lib.ts';
import { procMemory } from './proc-memory.ts';

/** One checkpoint as the benchmark measured it. */
export interface MeasuredCheckpoint {
  id: number;
  /** Trigger (request PUT) → last ack polled, _metadata written, commit delivered; coordinator's clock, ms. */
  durationMs: number;
  /** The worker's own request → ack time (its `checkpoint acknowledged` log line), ms. */
  workerDurationMs: number;
  /** Ack `bytes`: every file the snapshot references (its full state), bytes. */
  bytes: number;
  /** Ack `uploadedBytes` (absent: `bytes`): what this checkpoint uploaded, bytes. */
  uploadedBytes: number;
  /** Shared (SST) files the snapshot references. */
  sharedFiles: number;
}

/** A worker that died: how, and the last records it had processed. */
export class WorkerDied extends Error {
  readonly processed: number;
  readonly logTail: string;
  constructor(processed: number, logTail: string) {
    super(`worker exited after ${processed} records:\n${logTail}`);
    this.processed = processed;
    this.logTail = logTail;
  }
}

/**
 * The lines of a dead worker's log tail that say why it died: V8's `FATAL ERROR` line (e.g.
 * "Reached heap limit Allocation failed - JavaScript heap out of memory") and the fatal log line,
 * else the last 8 lines.
 */
export function deathLines(tail: string): string {
  const lines = tail.split('\n');
  const why = lines.filter((l) => /FATAL ERROR|out of memory|"level":"fatal"/.test(l));
  return (why.length ? why : lines.slice(-8)).join('\n');
}

/** The gated job (module comment). */
export class GatedJob {
  readonly job: LocalJob;
  private readonly coord: LocalCoordinator;
  private readonly gateFile: string;
  private gate = 0;
  /** Records the keyed stage had processed at the last poll. */
  processed = 0;
  /** Peak VmRSS seen by the sampler and the last VmHWM read, bytes. */
  peakRssBytes = 0;
  hwmBytes = 0;

  private constructor(job: LocalJob, coord: LocalCoordinator, gateFile: string) {
    this.job = job;
    this.coord = coord;
    this.gateFile = gateFile;
  }

  /**
   * Starts the job over `keys` keys with the gate closed and waits until its worker runs.
   * @param name job name (also its storage prefix and log file names)
   * @param workerEnv the worker's environment (state backend, NODE_OPTIONS)
   */
  static async start(
    env: BenchEnv,
    name: string,
    keys: number,
    workerEnv: Record<string, string>,
  ): Promise<GatedJob> {
    const gateFile = join(env.work, `${name}.gate`);
    writeFileSync(gateFile, '0');
    const o = jobOptions(
      env,
      name,
      benchJob('../state/keyed-value-job.ts'),
      { keys, gateFile },
      1,
      workerEnv,
    );
    const coord = new LocalCoordinator(env.client, env.bucket, o.storagePrefix);
    const job = await LocalJob.start(o);
    const g = new GatedJob(job, coord, gateFile);
    try {
      await job.waitRunning(120_000);
    } catch (err) {
      await job.stop();
      throw err;
    }
    return g;
  }

  /** The worker's pid. */
  get pid(): number {
    return this.job.workers[0]!.process.pid;
  }

  /** Samples the worker's memory into peakRssBytes / hwmBytes. */
  sampleMemory(): void {
    const m = procMemory(this.pid);
    if (!m) return;
    if (m.rssBytes > this.peakRssBytes) this.peakRssBytes = m.rssBytes;
    if (m.hwmBytes > this.hwmBytes) this.hwmBytes = m.hwmBytes;
  }

  /**
   * Opens the gate by `records` and waits until the keyed stage processed every released record,
   * sampling memory every `intervalMs`.
   * @returns wall time from opening the gate until then, ms
   * @throws WorkerDied when the worker exits meanwhile; Error after `timeoutMs`
   */
  async release(records: number, timeoutMs = 3_600_000, intervalMs = 200): Promise<number> {
    this.gate += records;
    const t0 = performance.now();
    writeFileSync(this.gateFile, String(this.gate));
    for (;;) {
      this.sampleMemory();
      const s = await this.job.status(0);
      if (s) this.processed = s.recordsProcessed;
      if (this.processed >= this.gate) return performance.now() - t0;
      if (this.job.hasExited(0)) throw new WorkerDied(this.processed, deathLines(this.job.logTail(0, 60)));
      if (performance.now() - t0 > timeoutMs)
        throw new Error(`${this.gate - this.processed} records not processed within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Takes a checkpoint and measures it (MeasuredCheckpoint). @throws Error as LocalCoordinator.checkpoint */
  async checkpoint(timeoutMs = 1_800_000): Promise<MeasuredCheckpoint> {
    const t0 = performance.now();
    const c = await this.coord.checkpoint(this.job, { timeoutMs, timeoutSeconds: timeoutMs / 1000 });
    const durationMs = performance.now() - t0;
    this.sampleMemory();
    const ack = c.metadata.workers[0]!;
    const line = this.job
      .logLines(0)
      .find((l) => l.msg === 'checkpoint acknowledged' && l.checkpointId === c.id);
    return {
      id: c.id,
      durationMs: Math.round(durationMs),
      workerDurationMs: Number(line?.durationMs),
      bytes: ack.bytes,
      uploadedBytes: ack.uploadedBytes ?? ack.bytes,
      sharedFiles: ack.sharedFiles?.length ?? 0,
    };
  }

  /** Kills the worker. */
  stop(): Promise<void> {
    return this.job.stop();
  }
}
