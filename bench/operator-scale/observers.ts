/**
 * What the benchmark runs next to the operator, all through the real API server:
 *
 * - {@link JobTracker}: one watch on the StreamJobs; records when each job's status first shows
 *   Ready=True / phase Running (end-to-end latency from its create call) and tallies
 *   checkpoint ids triggered, completed and failed from `status.checkpoints`.
 * - {@link PodAgent}: one watch on the worker pods and one on the StreamJobs. It stands in for
 *   the kubelet (the harness's `KubeletStandIn.markReady`: Running + Ready through `pods/status`)
 *   as soon as a pod appears, and — when acking is on — plays the workers' side of the checkpoint
 *   protocol (api/src/protocol.ts, runtime-image/src/control/pod-control.ts): on a
 *   `sluice.dev/checkpoint-request` with a new id on a StreamJob it merge-patches
 *   `sluice.dev/checkpoint-ack` onto each pod of the request's attempt, and it notes when the
 *   commit notice (the job's status, `committedSnapshotId`) reaches the id. With a
 *   {@link SnapshotUpload} it first uploads one state file per worker per snapshot to MinIO,
 *   `<request.path>/state-<subtask>.snap` (api/src/layout.ts workerStateFile), and acks it as
 *   the runtime does (runtime-image/src/checkpoint/snapshot-writer.ts): `files` lists it with
 *   size and sha256, `bytes` is its size and `keyGroupRange` the subtask's key groups
 *   (runtime-image/src/core/keygroups.ts), so the `_metadata` the coordinator writes is complete
 *   in the sense of api/src/metadata-coverage.ts. Without one it acks
 *   `{id, subtask, bytes: 0, files: []}`, an empty snapshot the coordinator accepts like any
 *   other.
 *
 * Differences from real workers, on purpose: namespace-wide StreamJob and pod watches with admin
 * credentials instead of one field-selected StreamJob watch per worker under the worker's
 * ServiceAccount (2000 watches would cost the 2-core machine more than the operator does), MinIO's root
 * credentials instead of the job's own, and the state file is filler bytes, not the
 * snapshot-codec format (nothing restores from it).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Client as MinioClient } from 'minio';
import { workerStateFile } from '@sluice/api/layout.ts';
import {
  ANN_CHECKPOINT_ACK,
  ANN_CHECKPOINT_REQUEST,
  committedSnapshotId,
  ENV,
  type CheckpointAck,
  type CheckpointRequest,
  type KeyGroupSpan,
} from '@sluice/api/protocol.ts';
import {
  STREAMJOB_GROUP,
  STREAMJOB_PLURAL,
  STREAMJOB_VERSION,
  type StreamJob,
} from '@sluice/api/streamjob.ts';
import { ackOf } from '../../operator/src/checkpoint/snapshot-status.ts';
import { keyGroupRangeFor } from '../../runtime-image/src/core/keygroups.ts';
import { KubeletStandIn } from '../../test/harness/kubelet-standin.ts';

/** Runs async tasks with at most `limit` in flight (FIFO). */
export class Limiter {
  readonly #limit: number;
  #active = 0;
  readonly #queue: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Tasks waiting or running. */
  get pending(): number {
    return this.#active + this.#queue.length;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.#active++;
        task()
          .then(resolve, reject)
          .finally(() => {
            this.#active--;
            this.#queue.shift()?.();
          });
      };
      if (this.#active < this.#limit) start();
      else this.#queue.push(start);
    });
  }
}

/**
 * A watch that keeps going: client-node's `Watch` ends a watch after 30 s without data, so
 * after a clean end (or that inactivity timeout) it resumes at once from the last
 * resourceVersion seen; after an error (or an ERROR event, e.g. 410 Gone) it waits 0.5 s and
 * starts again without a resourceVersion, so the server re-sends every existing object as
 * ADDED (handlers are idempotent).
 */
export class ResilientWatch {
  readonly #watch: Watch;
  readonly #path: string;
  readonly #query: Record<string, string>;
  readonly #onEvent: (type: string, obj: unknown) => void;
  #abort: AbortController | undefined;
  #stopped = false;
  #resourceVersion: string | undefined;
  /** Resumptions after a clean end or the inactivity timeout. */
  resumes = 0;
  /** Restarts after an error; the last error's message. */
  errors = 0;
  lastError: string | undefined;

  constructor(
    kubeConfig: KubeConfig,
    path: string,
    query: Record<string, string>,
    onEvent: (type: string, obj: unknown) => void,
  ) {
    this.#watch = new Watch(kubeConfig);
    this.#path = path;
    this.#query = query;
    this.#onEvent = onEvent;
  }

  #event(type: string, obj: unknown): void {
    if (type === 'ERROR') {
      this.#resourceVersion = undefined;
      this.#abort?.abort();
      return;
    }
    const rv = (obj as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    if (type !== 'BOOKMARK') this.#onEvent(type, obj);
  }

  /** Starts watching; resolves once the first watch request is open. */
  async start(): Promise<void> {
    let opened: () => void = () => undefined;
    const first = new Promise<void>((r) => (opened = r));
    void (async () => {
      while (!this.#stopped) {
        const query: Record<string, string> = { ...this.#query, allowWatchBookmarks: 'true' };
        if (this.#resourceVersion) query.resourceVersion = this.#resourceVersion;
        const err = await new Promise<unknown>((ended) => {
          this.#watch
            .watch(this.#path, query, (type, obj) => this.#event(type, obj), ended)
            .then((ac) => {
              this.#abort = ac;
              opened();
              if (this.#stopped) ac.abort();
            }, ended);
        });
        if (this.#stopped) return;
        const timeout = (err as { name?: string } | null)?.name === 'TimeoutError';
        if (err && !timeout) {
          this.errors++;
          this.lastError = err instanceof Error ? err.message : String(err);
          this.#resourceVersion = undefined;
          await new Promise((r) => setTimeout(r, 500));
        } else {
          this.resumes++;
        }
      }
    })();
    await first;
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }
}

/** Whether the pod's Ready condition is True. */
function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** What the benchmark knows about one StreamJob. Times are `performance.now()` ms. */
export interface JobRecord {
  name: string;
  /** Just before its create request was sent. */
  createdAtMs?: number;
  /** First watch event with condition Ready=True. */
  readyAtMs?: number;
  /** First watch event with phase Running. */
  runningAtMs?: number;
  lastTriggeredId: number;
  lastCompletedId: number;
  /** Snapshot directory (object-key prefix) of `status.checkpoints.lastCompleted`. */
  lastCompletedPath?: string;
  failed: number;
}

/** Checkpoint tallies summed over all jobs. */
export interface CheckpointTotals {
  /** Snapshot ids handed out (status.checkpoints.lastTriggered.id summed). */
  triggered: number;
  /** Completions observed (each increase of status.checkpoints.lastCompleted.id). */
  completed: number;
  /** status.checkpoints.failed summed. */
  failed: number;
}

/** See the module comment. */
export class JobTracker {
  readonly jobs = new Map<string, JobRecord>();
  #completed = 0;
  readonly #watch: ResilientWatch;

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.#watch = new ResilientWatch(
      kubeConfig,
      `/apis/sluice.dev/v1alpha1/namespaces/${namespace}/streamjobs`,
      {},
      (type, obj) => this.#onEvent(type, obj as StreamJob),
    );
  }

  start(): Promise<void> {
    return this.#watch.start();
  }

  stop(): void {
    this.#watch.stop();
  }

  /** The watch's resumptions and error restarts. */
  get watchStats(): { resumes: number; errors: number; lastError?: string } {
    const w = this.#watch;
    return { resumes: w.resumes, errors: w.errors, ...(w.lastError ? { lastError: w.lastError } : {}) };
  }

  #record(name: string): JobRecord {
    let r = this.jobs.get(name);
    if (!r) {
      r = { name, lastTriggeredId: 0, lastCompletedId: 0, failed: 0 };
      this.jobs.set(name, r);
    }
    return r;
  }

  /** Notes that the create request of `name` is about to be sent. */
  created(name: string, atMs: number): void {
    this.#record(name).createdAtMs = atMs;
  }

  #onEvent(type: string, job: StreamJob): void {
    if (type !== 'ADDED' && type !== 'MODIFIED') return;
    const name = job.metadata?.name;
    if (!name) return;
    const now = performance.now();
    const r = this.#record(name);
    const st = job.status;
    if (r.readyAtMs === undefined && st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      r.readyAtMs = now;
    }
    if (r.runningAtMs === undefined && st?.phase === 'Running') r.runningAtMs = now;
    const cp = st?.checkpoints;
    r.lastTriggeredId = Math.max(r.lastTriggeredId, cp?.lastTriggered?.id ?? 0);
    r.failed = Math.max(r.failed, cp?.failed ?? 0);
    const completed = cp?.lastCompleted?.id ?? 0;
    if (completed > r.lastCompletedId) {
      // Every completion is its own status write, hence its own event.
      this.#completed++;
      r.lastCompletedId = completed;
      r.lastCompletedPath = cp?.lastCompleted?.path;
    }
  }

  /** Jobs whose status has shown Ready=True. */
  readyCount(): number {
    let n = 0;
    for (const r of this.jobs.values()) if (r.readyAtMs !== undefined) n++;
    return n;
  }

  totals(): CheckpointTotals {
    let triggered = 0;
    let failed = 0;
    for (const r of this.jobs.values()) {
      triggered += r.lastTriggeredId;
      failed += r.failed;
    }
    return { triggered, completed: this.#completed, failed };
  }
}

/** Bench-side timeline of one snapshot of one job. Times are `performance.now()` ms. */
export interface SnapshotTimeline {
  job: string;
  id: number;
  /** The request first seen on the StreamJob. */
  requestSeenMs: number;
  /** Acks written (0 while acking is off). */
  acks: number;
  /** When the last ack patch of the job returned. */
  lastAckMs?: number;
  /** The StreamJob's status first seen with the commit notice ≥ id. */
  committedSeenMs?: number;
}

/** Counters of the requests the benchmark itself sent to the API server and to MinIO. */
export interface BenchRequests {
  /** Pod status writes of the kubelet stand-in (each is a GET + a PATCH of pods/status). */
  podsMarked: number;
  acks: number;
  ackErrors: number;
  markErrors: number;
  /** State files uploaded to MinIO (one per worker per acked snapshot, with a {@link SnapshotUpload}). */
  uploads: number;
  /** Bytes of those files. */
  uploadBytes: number;
  /** Uploads that failed; each is acked with an `error`, which aborts that snapshot (WorkerFailed). */
  uploadErrors: number;
}

/** Where the acknowledger uploads a state file per worker per snapshot, and how large it is. */
export interface SnapshotUpload {
  /** Client of the MinIO the operator checkpoints to. */
  minio: MinioClient;
  /** The jobs' bucket: the snapshot paths of the requests are keys in it. */
  bucket: string;
  /** Size of every state file, bytes (> 0). */
  bytes: number;
  /**
   * Uploads in flight, at most (default 16). Each holds one file-sized buffer, and the bytes are
   * hashed twice on the benchmark's event loop (sha256 for the ack, and the client's payload
   * hash for request signing).
   */
  concurrency?: number;
}

/** Settings of a {@link PodAgent}; every field is optional. */
export interface PodAgentOptions {
  /** Pod status writes in flight (several kubelets on several nodes); default 8. */
  markConcurrency?: number;
  /** Ack patches in flight (every worker acks on its own in reality); default 32. */
  ackConcurrency?: number;
  /** Upload a state file before each ack; without it, acks claim an empty snapshot. */
  upload?: SnapshotUpload;
}

/** The `sluice.dev/checkpoint-request` on `job`, if any and well-formed. */
function requestOf(job: StreamJob | undefined): CheckpointRequest | undefined {
  const raw = job?.metadata?.annotations?.[ANN_CHECKPOINT_REQUEST];
  if (!raw) return undefined;
  try {
    const r = JSON.parse(raw) as Partial<CheckpointRequest>;
    return typeof r.id === 'number' && typeof r.path === 'string' ? (r as CheckpointRequest) : undefined;
  } catch {
    return undefined;
  }
}

const jobOf = (pod: V1Pod) => pod.metadata?.labels?.['sluice.dev/job'] ?? '';

/**
 * The key groups of worker `subtask`, from the pod's `SLUICE_MAX_PARALLELISM` and
 * `SLUICE_PARALLELISM` (what the runtime reads to take its range), or undefined without them.
 */
function keyGroupsOf(pod: V1Pod, subtask: number): KeyGroupSpan | undefined {
  const env = pod.spec?.containers.flatMap((c) => c.env ?? []) ?? [];
  const value = (name: string) => Number(env.find((e) => e.name === name)?.value);
  try {
    return keyGroupRangeFor(value(ENV.maxParallelism), value(ENV.parallelism), subtask);
  } catch {
    return undefined;
  }
}

/** See the module comment. */
export class PodAgent {
  readonly #kubelet: KubeletStandIn;
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  readonly #watch: ResilientWatch;
  readonly #markLimiter: Limiter;
  readonly #ackLimiter: Limiter;
  readonly #uploadLimiter: Limiter;
  readonly #upload: SnapshotUpload | undefined;
  /** Filler of every state file (random, so not compressible); each upload stamps its own header on a copy. */
  readonly #filler: Buffer | undefined;
  /** Pods handed to the kubelet stand-in. */
  readonly #marked = new Set<string>();
  /** Highest request id acked per pod. */
  readonly #acked = new Map<string, number>();
  /** Last version seen of every live pod. */
  readonly #pods = new Map<string, V1Pod>();
  /** Live pod names by job name. */
  readonly #podsOfJob = new Map<string, Set<string>>();
  /** Last version seen of every StreamJob, by name. */
  readonly #jobs = new Map<string, StreamJob>();
  readonly #jobWatch: ResilientWatch;
  /** Keyed `job#id`. */
  readonly snapshots = new Map<string, SnapshotTimeline>();
  readonly counts: BenchRequests = {
    podsMarked: 0,
    acks: 0,
    ackErrors: 0,
    markErrors: 0,
    uploads: 0,
    uploadBytes: 0,
    uploadErrors: 0,
  };
  #acking = false;

  /** @throws RangeError when `options.upload.bytes` is not a positive integer */
  constructor(kubeConfig: KubeConfig, namespace: string, options: PodAgentOptions = {}) {
    this.#kubelet = new KubeletStandIn(kubeConfig, namespace);
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#namespace = namespace;
    this.#markLimiter = new Limiter(options.markConcurrency ?? 8);
    this.#ackLimiter = new Limiter(options.ackConcurrency ?? 32);
    this.#uploadLimiter = new Limiter(options.upload?.concurrency ?? 16);
    this.#upload = options.upload;
    if (this.#upload) {
      if (!Number.isSafeInteger(this.#upload.bytes) || this.#upload.bytes <= 0)
        throw new RangeError(`snapshot file size ${this.#upload.bytes} is not a positive integer`);
      this.#filler = randomBytes(this.#upload.bytes);
    }
    this.#watch = new ResilientWatch(
      kubeConfig,
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector: 'app.kubernetes.io/managed-by=sluice-operator' },
      (type, obj) => this.#onEvent(type, obj as V1Pod),
    );
    this.#jobWatch = new ResilientWatch(
      kubeConfig,
      `/apis/${STREAMJOB_GROUP}/${STREAMJOB_VERSION}/namespaces/${namespace}/${STREAMJOB_PLURAL}`,
      {},
      (type, obj) => this.#onJob(type, obj as StreamJob),
    );
  }

  async start(): Promise<void> {
    await Promise.all([this.#watch.start(), this.#jobWatch.start()]);
  }

  stop(): void {
    this.#watch.stop();
    this.#jobWatch.stop();
  }

  /** The watch's resumptions and error restarts. */
  get watchStats(): { resumes: number; errors: number; lastError?: string } {
    const w = this.#watch;
    return { resumes: w.resumes, errors: w.errors, ...(w.lastError ? { lastError: w.lastError } : {}) };
  }

  /**
   * Turns the workers' side of the checkpoint protocol on or off. Turning it on also acks the
   * requests already on the pods (a real worker acks whatever request it finds on its pod).
   */
  setAcking(on: boolean): void {
    this.#acking = on;
    if (on) for (const pod of this.#pods.values()) this.#maybeAck(pod);
  }

  /** Live worker pods (not being deleted) and how many of them are Ready. */
  podCounts(): { pods: number; ready: number } {
    let ready = 0;
    for (const p of this.#pods.values()) if (isReady(p)) ready++;
    return { pods: this.#pods.size, ready };
  }

  /** Ack patches queued or in flight. */
  get acksPending(): number {
    return this.#ackLimiter.pending;
  }

  /** State file uploads queued or in flight. */
  get uploadsPending(): number {
    return this.#uploadLimiter.pending;
  }

  /** A StreamJob event: a new request is acked on the pods of its attempt; the commit notice is noted. */
  #onJob(type: string, job: StreamJob): void {
    const name = job.metadata?.name;
    if (!name) return;
    if (type === 'DELETED') {
      this.#jobs.delete(name);
      return;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED') return;
    this.#jobs.set(name, job);
    const request = requestOf(job);
    if (request !== undefined) {
      const key = `${name}#${request.id}`;
      if (!this.snapshots.has(key))
        this.snapshots.set(key, { job: name, id: request.id, requestSeenMs: performance.now(), acks: 0 });
      for (const pod of this.#podsOfJob.get(name) ?? []) this.#maybeAck(this.#pods.get(pod)!);
    }
    const committed = committedSnapshotId(job.status);
    if (committed !== undefined) {
      const s = this.snapshots.get(`${name}#${committed}`);
      if (s && s.committedSeenMs === undefined) s.committedSeenMs = performance.now();
    }
  }

  #onEvent(type: string, pod: V1Pod): void {
    const name = pod.metadata?.name;
    if (!name) return;
    if (type === 'DELETED' || pod.metadata?.deletionTimestamp) {
      this.#pods.delete(name);
      this.#podsOfJob.get(jobOf(pod))?.delete(name);
      return;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED') return;
    this.#pods.set(name, pod);
    const ofJob = this.#podsOfJob.get(jobOf(pod)) ?? new Set<string>();
    this.#podsOfJob.set(jobOf(pod), ofJob.add(name));
    if (!isReady(pod) && !this.#marked.has(name)) {
      this.#marked.add(name);
      void this.#markLimiter.run(async () => {
        try {
          await this.#kubelet.markReady(name);
          this.counts.podsMarked++;
        } catch {
          this.counts.markErrors++;
        }
      });
    }
    this.#maybeAck(pod);
  }

  /**
   * Acks the request on `pod`'s StreamJob if it is for the pod's attempt, acking is on and
   * neither the pod nor this agent acked it yet; with a {@link SnapshotUpload}, once its state
   * file is uploaded.
   */
  #maybeAck(pod: V1Pod): void {
    const request = requestOf(this.#jobs.get(jobOf(pod)));
    const name = pod.metadata!.name!;
    if (!this.#acking || request === undefined) return;
    if (
      request.attempt !== undefined &&
      String(request.attempt) !== pod.metadata?.labels?.['sluice.dev/attempt']
    )
      return;
    const requested = request.id;
    if (requested <= (ackOf(pod)?.id ?? 0) || requested <= (this.#acked.get(name) ?? 0)) return;
    this.#acked.set(name, requested);
    const job = pod.metadata?.labels?.['sluice.dev/job'] ?? '';
    const subtask = Number(pod.metadata?.labels?.['sluice.dev/subtask']);
    const key = `${job}#${requested}`;
    if (!this.#upload) {
      void this.#ackLimiter.run(() => this.#ack(name, key, { id: requested, subtask, bytes: 0, files: [] }));
      return;
    }
    const keyGroups = keyGroupsOf(pod, subtask);
    void this.#uploadLimiter
      .run(() => this.#uploadState(job, subtask, request, keyGroups))
      .then((ack) => this.#ackLimiter.run(() => this.#ack(name, key, ack)));
  }

  /**
   * Uploads worker `subtask`'s state file of `request` and returns the ack that lists it, or an
   * error ack (as a worker whose upload failed publishes) when the upload failed. Never throws.
   */
  async #uploadState(
    job: string,
    subtask: number,
    request: CheckpointRequest,
    keyGroupRange: KeyGroupSpan | undefined,
  ): Promise<CheckpointAck> {
    const upload = this.#upload!;
    const file = Buffer.from(this.#filler!);
    // Each file differs from the others (so does its sha256): job, subtask and id up front.
    file.write(`sluice bench state file: job ${job}, subtask ${subtask}, snapshot ${request.id}\n`, 0);
    const sha256 = createHash('sha256').update(file).digest('hex');
    const name = workerStateFile(subtask);
    try {
      await upload.minio.putObject(upload.bucket, `${request.path}/${name}`, file, file.length);
      this.counts.uploads++;
      this.counts.uploadBytes += file.length;
      return {
        id: request.id,
        subtask,
        bytes: file.length,
        files: [{ key: name, bytes: file.length, sha256 }],
        ...(keyGroupRange ? { keyGroupRange } : {}),
      };
    } catch (err) {
      this.counts.uploadErrors++;
      const message = err instanceof Error ? err.message : String(err);
      return {
        id: request.id,
        subtask,
        bytes: 0,
        files: [],
        error: `bench upload of ${name} failed: ${message}`,
      };
    }
  }

  async #ack(pod: string, key: string, ack: CheckpointAck): Promise<void> {
    try {
      await this.#core.patchNamespacedPod(
        {
          name: pod,
          namespace: this.#namespace,
          body: { metadata: { annotations: { [ANN_CHECKPOINT_ACK]: JSON.stringify(ack) } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.counts.acks++;
      const s = this.snapshots.get(key);
      if (s) {
        s.acks++;
        s.lastAckMs = performance.now();
      }
    } catch {
      this.counts.ackErrors++;
    }
  }
}
