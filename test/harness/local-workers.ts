/**
 * Runs Sluice runtime workers as local processes (real processes, real TCP shuffle, real MinIO)
 * in local control mode, and plays the operator's part of the checkpoint protocol:
 *
 *   const coord = new LocalCoordinator(minio, bucket, jobPrefix(...));
 *   const job = await LocalJob.start({ ..., attempt: 0 });
 *   await job.waitRunning();
 *   const chk = await coord.checkpoint(job);              // request → acks → _metadata → commit
 *   await job.stop();
 *   const job2 = await LocalJob.start({ ..., attempt: 1, restoreFrom: chk.path });
 *
 * Workers are started through `setpriv --pdeathsig KILL` (process.ts), so they die with the
 * test process. Each worker's JSON log goes to `<logDir>/<name>-a<attempt>-<i>.log`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client as MinioClient } from 'minio';
import { checkpointDir, savepointDir } from '@sluice/api/layout.ts';
import { METADATA_FORMAT_VERSION, type SnapshotMetadata } from '@sluice/api/metadata.ts';
import { writeMetadataOnce } from '@sluice/api/metadata-store.ts';
import { signMetadata } from '@sluice/api/snapshot-mac.ts';
import { ENV, type CheckpointAck, type CheckpointRequest, type SnapshotKind } from '@sluice/api/protocol.ts';
import type { WorkerStatus } from '../../runtime-image/src/control/control.ts';
import type { MinioInfo } from './minio-server.ts';
import { repoRoot } from './paths.ts';
import { freePort } from './ports.ts';
import { startServer, stopServer, type ServerProcess } from './process.ts';

/** How to start one attempt of a job. */
export interface LocalJobOptions {
  /** Job name (SLUICE_JOB_NAME). */
  name: string;
  /** Job uid (default: the name). */
  uid?: string;
  namespace?: string;
  /** Built-in job name or module path. */
  entry: string;
  config: unknown;
  parallelism: number;
  maxParallelism?: number;
  attempt: number;
  minio: MinioInfo;
  bucket: string;
  /** Key prefix of the job's storage (layout.ts jobPrefix). */
  storagePrefix: string;
  restoreFrom?: string;
  allowNonRestoredState?: boolean;
  /** Directory for worker logs. */
  logDir: string;
  /** Extra environment for every worker. */
  env?: Record<string, string>;
  /** Extra environment for worker `index` (after `env`), e.g. its own SLUICE_STATE_DIR. */
  workerEnv?: (index: number) => Record<string, string>;
  /** Give every worker a health endpoint on a free loopback port (`LocalWorker.healthUrl`: /readyz, /metrics). */
  health?: boolean;
  /**
   * The job's snapshot key (SLUICE_SNAPSHOT_KEY, ≥ 32 bytes): workers verify the MAC of the
   * job's own `_metadata` with it, and LocalCoordinator signs the `_metadata` it writes for this
   * job with it. Unset: unsigned, unchecked (docs/security.md "Snapshot integrity").
   */
  snapshotKey?: string;
}

/** One worker process. */
export interface LocalWorker {
  index: number;
  process: ServerProcess;
  controlUrl: string;
  dataPort: number;
  /** Base URL of the health endpoint (options.health), else undefined. */
  healthUrl?: string;
  /** Resolves when the process exits. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A parsed JSON log line of a worker. */
export type LogLine = Record<string, unknown> & { level?: string; msg?: string };

async function http(method: string, url: string, body?: string): Promise<Response> {
  return fetch(url, { method, ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(5000) });
}

/** One attempt of a job: `parallelism` worker processes. */
export class LocalJob {
  readonly options: LocalJobOptions;
  readonly workers: LocalWorker[];

  private constructor(options: LocalJobOptions, workers: LocalWorker[]) {
    this.options = options;
    this.workers = workers;
  }

  /** Spawns the workers (does not wait for them; see waitRunning). */
  static async start(o: LocalJobOptions): Promise<LocalJob> {
    mkdirSync(o.logDir, { recursive: true });
    const dataPorts: number[] = [];
    const controlPorts: number[] = [];
    const healthPorts: number[] = [];
    for (let i = 0; i < o.parallelism; i++) {
      dataPorts.push(await freePort());
      controlPorts.push(await freePort());
      if (o.health) healthPorts.push(await freePort());
    }
    const peers = dataPorts.map((p) => `127.0.0.1:${p}`).join(',');
    const workers: LocalWorker[] = [];
    for (let i = 0; i < o.parallelism; i++) {
      const env: Record<string, string> = {
        [ENV.jobName]: o.name,
        [ENV.jobNamespace]: o.namespace ?? 'local',
        [ENV.jobUid]: o.uid ?? o.name,
        [ENV.jobEntry]: o.entry,
        [ENV.jobConfig]: JSON.stringify(o.config),
        [ENV.subtaskIndex]: String(i),
        [ENV.parallelism]: String(o.parallelism),
        [ENV.maxParallelism]: String(o.maxParallelism ?? 128),
        [ENV.attempt]: String(o.attempt),
        [ENV.peers]: peers,
        [ENV.dataPort]: String(dataPorts[i]),
        [ENV.storageEndpoint]: o.minio.url,
        [ENV.storageBucket]: o.bucket,
        [ENV.storagePrefix]: o.storagePrefix,
        [ENV.storageAccessKey]: o.minio.accessKey,
        [ENV.storageSecretKey]: o.minio.secretKey,
        [ENV.restoreFrom]: o.restoreFrom ?? '',
        [ENV.allowNonRestoredState]: o.allowNonRestoredState ? 'true' : '',
        [ENV.controlMode]: 'local',
        [ENV.controlPort]: String(controlPorts[i]),
        ...(o.health ? { [ENV.healthPort]: String(healthPorts[i]) } : {}),
        ...(o.snapshotKey ? { [ENV.snapshotKey]: o.snapshotKey } : {}),
        NODE_OPTIONS: '--no-warnings',
        ...o.env,
        ...o.workerEnv?.(i),
      };
      const logFile = join(o.logDir, `${o.name}-a${o.attempt}-${i}.log`);
      const proc = startServer(
        `worker ${i}`,
        process.execPath,
        [join(repoRoot, 'runtime-image', 'src', 'main.ts')],
        logFile,
        env,
      );
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
          resolve({ code: proc.child.exitCode, signal: proc.child.signalCode });
        } else proc.child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      workers.push({
        index: i,
        process: proc,
        controlUrl: `http://127.0.0.1:${controlPorts[i]}`,
        dataPort: dataPorts[i]!,
        ...(o.health ? { healthUrl: `http://127.0.0.1:${healthPorts[i]}` } : {}),
        exit,
      });
    }
    return new LocalJob(o, workers);
  }

  /** Whether worker i has exited. */
  hasExited(i: number): boolean {
    const c = this.workers[i]!.process.child;
    return c.exitCode !== null || c.signalCode !== null;
  }

  /** Worker i's status, or null when it is not reachable. */
  async status(i: number): Promise<WorkerStatus | null> {
    try {
      const r = await http('GET', `${this.workers[i]!.controlUrl}/status`);
      return r.ok ? ((await r.json()) as WorkerStatus | null) : null;
    } catch {
      return null;
    }
  }

  /** Statuses of all workers (null for unreachable ones). */
  statuses(): Promise<Array<WorkerStatus | null>> {
    return Promise.all(this.workers.map((_, i) => this.status(i)));
  }

  /**
   * Polls statuses every 50 ms until `pred` holds.
   * @throws Error naming `what` on timeout, or when a worker exits meanwhile (with its last log lines)
   */
  async waitFor(
    what: string,
    pred: (s: Array<WorkerStatus | null>) => boolean,
    timeoutMs = 60_000,
  ): Promise<Array<WorkerStatus | null>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.statuses();
      if (pred(s)) return s;
      const dead = this.workers.findIndex((_, i) => this.hasExited(i));
      if (dead >= 0)
        throw new Error(`worker ${dead} exited while waiting for ${what}:\n${this.logTail(dead)}`);
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; statuses ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until every worker runs and is connected to all peers. */
  waitRunning(timeoutMs = 60_000): Promise<Array<WorkerStatus | null>> {
    return this.waitFor(
      'workers running',
      (s) => s.every((x) => x?.phase === 'running' && x.connected),
      timeoutMs,
    );
  }

  /** Waits until every worker's source is exhausted. */
  waitSourcesExhausted(timeoutMs = 120_000): Promise<Array<WorkerStatus | null>> {
    return this.waitFor('sources exhausted', (s) => s.every((x) => x?.sourceExhausted === true), timeoutMs);
  }

  /** Sends `signal` to worker i. */
  kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.workers[i]!.process.child.kill(signal);
  }

  /** Kills every worker still running (SIGKILL) and waits for the exits. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => stopServer(w.process, 0)));
  }

  /** Parsed JSON log lines of worker i. */
  logLines(i: number): LogLine[] {
    let text: string;
    try {
      text = readFileSync(this.workers[i]!.process.logFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as LogLine;
        } catch {
          return { msg: l };
        }
      });
  }

  /** The last `n` raw log lines of worker i. */
  logTail(i: number, n = 15): string {
    try {
      return readFileSync(this.workers[i]!.process.logFile, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-n)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** The fatal log line of worker i, if it wrote one. */
  fatal(i: number): LogLine | undefined {
    return this.logLines(i).find((l) => l.level === 'fatal');
  }
}

/** A completed checkpoint or savepoint. */
export interface CompletedSnapshot {
  id: number;
  kind: SnapshotKind;
  /** Snapshot directory (object-key prefix). */
  path: string;
  metadata: SnapshotMetadata;
}

/**
 * Plays the operator's checkpoint coordinator for local workers (ids are monotonic across
 * attempts); signs `_metadata` with the job's `snapshotKey` when it has one.
 */
export class LocalCoordinator {
  private readonly minio: MinioClient;
  private readonly bucket: string;
  private readonly prefix: string;
  private nextId = 1;
  /** Completed snapshots, oldest first. */
  readonly completed: CompletedSnapshot[] = [];

  /** @param jobKeyPrefix layout.ts jobPrefix(...) of the job */
  constructor(minio: MinioClient, bucket: string, jobKeyPrefix: string) {
    this.minio = minio;
    this.bucket = bucket;
    this.prefix = jobKeyPrefix;
  }

  /**
   * Takes checkpoint/savepoint N on `job`: writes the request to every worker, waits for all acks
   * with id N, writes `_metadata` (If-None-Match: *), then tells every worker N is committed
   * (and final, when every ack of N was final) —
   * unless `deliverCommit` is false, which simulates a coordinator that completed N but crashed
   * (or lost the workers) before notifying them.
   * @throws Error when a worker acks with an error, exits, or does not ack within `timeoutMs`
   */
  async checkpoint(
    job: LocalJob,
    opts: {
      kind?: SnapshotKind;
      stop?: boolean;
      timeoutMs?: number;
      deliverCommit?: boolean;
      /** The request's timeoutSeconds (workers retry acks and snapshot uploads this long). */
      timeoutSeconds?: number;
    } = {},
  ): Promise<CompletedSnapshot> {
    const kind = opts.kind ?? 'checkpoint';
    const id = this.nextId++;
    const path =
      kind === 'savepoint'
        ? savepointDir(this.prefix, id, randomBytes(3).toString('hex'))
        : checkpointDir(this.prefix, id);
    const triggeredAt = new Date().toISOString();
    const request: CheckpointRequest = {
      id,
      kind,
      path,
      triggeredAt,
      ...(opts.stop ? { stop: true } : {}),
      ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
    };
    await Promise.all(
      job.workers.map(async (w) => {
        const r = await http('PUT', `${w.controlUrl}/checkpoint-request`, JSON.stringify(request));
        if (r.status !== 204)
          throw new Error(
            `worker ${w.index} refused checkpoint request ${id}: ${r.status} ${await r.text()}`,
          );
      }),
    );
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    const acks: CheckpointAck[] = [];
    for (const w of job.workers) {
      for (;;) {
        if (job.hasExited(w.index))
          throw new Error(`worker ${w.index} exited before acking ${kind} ${id}:\n${job.logTail(w.index)}`);
        const r = await http('GET', `${w.controlUrl}/checkpoint-ack`).catch(() => undefined);
        if (r?.ok) {
          const ack = (await r.json()) as CheckpointAck;
          if (ack.id === id) {
            if (ack.error) throw new Error(`worker ${w.index} failed ${kind} ${id}: ${ack.error}`);
            acks.push(ack);
            break;
          }
          if (ack.id > id) throw new Error(`worker ${w.index} acked ${ack.id} while ${id} was pending`);
        }
        if (Date.now() > deadline) throw new Error(`worker ${w.index} did not ack ${kind} ${id} in time`);
        await new Promise((res) => setTimeout(res, 20));
      }
    }
    const metadata: SnapshotMetadata = {
      formatVersion: METADATA_FORMAT_VERSION,
      id,
      kind,
      job: {
        namespace: job.options.namespace ?? 'local',
        name: job.options.name,
        uid: job.options.uid ?? job.options.name,
      },
      maxParallelism: job.options.maxParallelism ?? 128,
      parallelism: job.options.parallelism,
      attempt: job.options.attempt,
      workers: acks,
      bytes: acks.reduce((n, a) => n + a.bytes, 0),
      triggeredAt,
      completedAt: new Date().toISOString(),
    };
    const key = job.options.snapshotKey;
    const written = key ? signMetadata(metadata, Buffer.from(key, 'utf8')) : metadata;
    await writeMetadataOnce(this.minio, this.bucket, path, written);
    if (opts.deliverCommit !== false) {
      // As the operator does (docs/checkpointing.md "Bounded jobs"): the commit, then — when every
      // ack was final — the final notice on which the workers exit 0.
      const final = acks.every((a) => a.final === true);
      await Promise.all(
        job.workers.map(async (w) => {
          await http('PUT', `${w.controlUrl}/checkpoint-committed`, String(id)).catch(() => undefined);
          if (final) await http('PUT', `${w.controlUrl}/checkpoint-final`, String(id)).catch(() => undefined);
        }),
      );
    }
    const done: CompletedSnapshot = { id, kind, path, metadata: written };
    this.completed.push(done);
    return done;
  }
}

/**
 * Reads the committed output of an S3 sink: every object directly under `prefix` (not under
 * `<prefix>_tmp/`), parsed as JSON lines, in key order.
 */
export async function readCommittedOutput<T = unknown>(
  minio: MinioClient,
  bucket: string,
  prefix: string,
): Promise<T[]> {
  const keys: string[] = [];
  for await (const o of minio.listObjectsV2(bucket, prefix, true)) {
    const name = (o as { name?: string }).name;
    if (name && !name.startsWith(`${prefix}_tmp/`)) keys.push(name);
  }
  keys.sort();
  const out: T[] = [];
  for (const k of keys) {
    const chunks: Buffer[] = [];
    for await (const c of await minio.getObject(bucket, k)) chunks.push(c as Buffer);
    for (const line of Buffer.concat(chunks).toString('utf8').split('\n'))
      if (line) out.push(JSON.parse(line) as T);
  }
  return out;
}

/** Keys of objects under `prefix`. */
export async function listKeys(minio: MinioClient, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of minio.listObjectsV2(bucket, prefix, true)) {
    const name = (o as { name?: string }).name;
    if (name) keys.push(name);
  }
  return keys.sort();
}
