/**
 * What the StreamJob end-to-end tests share: reading jobs, pods and Events with kubectl, waiting
 * for Ready / a phase / a checkpoint with deadlines, the workers' JSON log lines, a bounded
 * wordcount over a corpus uploaded to the dev MinIO, and reading its committed output back for
 * exactly-once assertions. Every function takes the namespace it works in: each test file
 * creates its own. No jest imports: bench/recovery uses these helpers outside jest
 * (wordcount-corpus.ts has the jest-side parts).
 */
import { join } from 'node:path';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { repoRoot } from '../harness/paths.ts';
import {
  kubectl,
  kubectlJson,
  kubectlOk,
  listObjects,
  mc,
  runtimeImage,
  systemNamespace,
  waitFor,
  type Probe,
} from './cluster.ts';

export type Condition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
};
export type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
};
export type ContainerStatus = {
  containerID?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    running?: { startedAt?: string };
    terminated?: { exitCode: number; reason?: string; finishedAt?: string };
  };
};
export type Pod = {
  metadata: {
    name: string;
    uid: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    /** The node the pod is bound to. */
    nodeName?: string;
    restartPolicy?: string;
    securityContext?: Record<string, unknown>;
    containers: {
      image: string;
      env?: EnvVar[];
      ports?: { name?: string; containerPort: number }[];
      securityContext?: Record<string, unknown>;
      readinessProbe?: Record<string, unknown>;
      livenessProbe?: Record<string, unknown>;
    }[];
  };
  status: { phase: string; conditions?: Condition[]; containerStatuses?: ContainerStatus[] };
};
export type Job = StreamJob & { metadata: { generation?: number; uid?: string } };
/** An events.k8s.io/v1 Event as kubectl lists it. */
export type KubeEvent = {
  reason?: string;
  note?: string;
  type?: string;
  eventTime?: string;
  regarding?: { name?: string };
};

export const exampleFile = (name: string) => join(repoRoot, 'examples', `${name}.yaml`);

/** kubectl apply of an example, with a merge patch applied to it first (`kubectl patch --local`). */
export async function applyExample(ns: string, file: string, patch: Record<string, unknown>): Promise<void> {
  const manifest = await kubectlOk([
    'patch',
    '--local',
    '-f',
    exampleFile(file),
    '--type',
    'merge',
    '-p',
    JSON.stringify(patch),
    '-o',
    'json',
  ]);
  await kubectlOk(['-n', ns, 'apply', '-f', '-'], manifest);
}

export const getJob = (ns: string, name: string) => kubectlJson<Job>(['-n', ns, 'get', 'streamjob', name]);

/** kubectl patch --type merge of a StreamJob. */
export const patchJob = (ns: string, name: string, patch: Record<string, unknown>) =>
  kubectlOk(['-n', ns, 'patch', 'streamjob', name, '--type', 'merge', '-p', JSON.stringify(patch)]);

/** Every pod of the job (all attempts). */
export async function jobPods(ns: string, name: string): Promise<Pod[]> {
  const list = await kubectlJson<{ items: Pod[] }>(['-n', ns, 'get', 'pods', '-l', `sluice.dev/job=${name}`]);
  return list.items;
}

export const condition = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type);

/** One line for timeouts: phase, attempt, restarts, workers, conditions, upgrade, pods. */
export function summary(job: Job, pods: Pod[] = []): string {
  const conds = (job.status?.conditions ?? []).map((c) => `${c.type}=${c.status}(${c.reason}: ${c.message})`);
  const upgrade = job.status?.upgrade ? ` upgrade=${JSON.stringify(job.status.upgrade)}` : '';
  return (
    `phase=${job.status?.phase} attempt=${job.status?.attempt} restarts=${job.status?.restarts ?? 0} ` +
    `workers=${job.status?.workers?.ready}/${job.status?.workers?.total} ${conds.join(' ')}${upgrade} ` +
    `pods=[${pods.map((p) => `${p.metadata.name}:${p.status.phase}`).join(' ')}]`
  );
}

export const isPodReady = (p: Pod) =>
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export const isRunningReady = (p: Pod) =>
  !p.metadata.deletionTimestamp && p.status.phase === 'Running' && isPodReady(p);

/**
 * Waits until the job is Ready=True for its current generation, with `parallelism` ready worker
 * pods of its current attempt (and no other pods), and `extra` holds. Returns the job and pods.
 */
export async function waitReady(
  ns: string,
  name: string,
  timeoutMs: number,
  extra: (job: Job) => boolean = () => true,
): Promise<{ job: Job; pods: Pod[] }> {
  return waitFor(
    `StreamJob ${name} Ready`,
    async (): Promise<Probe<{ job: Job; pods: Pod[] }>> => {
      const job = await getJob(ns, name);
      const pods = await jobPods(ns, name);
      const attempt = job.status?.attempt;
      const current = pods.filter((p) => p.metadata.name.startsWith(`${name}-${attempt}-`));
      const ok =
        condition(job, 'Ready')?.status === 'True' &&
        job.status?.observedGeneration === job.metadata.generation &&
        current.length === job.spec.parallelism &&
        current.every(isRunningReady) &&
        pods.length === current.length &&
        extra(job);
      return ok
        ? { done: true, value: { job, pods: current } }
        : { done: false, observed: summary(job, pods) };
    },
    timeoutMs,
  );
}

/** Waits until `test` holds for the job; returns it. */
export async function waitJob(
  ns: string,
  name: string,
  what: string,
  test: (job: Job) => boolean,
  timeoutMs: number,
  intervalMs = 2000,
): Promise<Job> {
  return waitFor(
    `${name}: ${what}`,
    async () => {
      const job = await getJob(ns, name);
      return test(job) ? { done: true, value: job } : { done: false, observed: summary(job) };
    },
    timeoutMs,
    intervalMs,
  );
}

/** A worker's JSON log line (pino): `msg`, `time` (ms since the epoch), and the message's fields. */
export type LogLine = { msg: string; time: number; [field: string]: unknown };

/** Parses JSON log lines (`time` as logged, ISO 8601 or ms, becomes ms); other lines are skipped. */
export function parseLogLines(lines: Iterable<string>): LogLine[] {
  const out: LogLine[] = [];
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      const o = JSON.parse(l) as { msg?: unknown; time?: unknown };
      const time = typeof o.time === 'string' ? Date.parse(o.time) : Number(o.time);
      out.push({ ...o, msg: String(o.msg), time } as LogLine);
    } catch {
      // a line cut off by a kill
    }
  }
  return out;
}

/** The worker's log as JSON lines (non-JSON lines skipped). */
export async function workerLog(ns: string, pod: string): Promise<LogLine[]> {
  const r = await kubectl(['-n', ns, 'logs', pod]);
  return parseLogLines(r.stdout.split('\n'));
}

type Progress = { recordsRead: number; recordsProcessed: number; recordsWritten: number };

/** Waits for a `progress` log line (every 30 s) with records read and written, from every pod. */
export async function waitRecordsFlow(ns: string, pods: Pod[]): Promise<Map<string, Progress>> {
  const seen = new Map<string, Progress>();
  await waitFor(
    `progress log lines with records from ${pods.map((p) => p.metadata.name).join(', ')}`,
    async () => {
      for (const p of pods) {
        if (seen.has(p.metadata.name)) continue;
        const lines = (await workerLog(ns, p.metadata.name)).filter((l) => l.msg === 'progress');
        const last = lines.at(-1) as unknown as Progress | undefined;
        if (last && last.recordsRead > 0 && last.recordsProcessed > 0 && last.recordsWritten > 0) {
          seen.set(p.metadata.name, last);
        }
      }
      return seen.size === pods.length
        ? { done: true, value: seen }
        : { done: false, observed: `progress with records from [${[...seen.keys()].join(', ')}]` };
    },
    90_000,
    3000,
  );
  return seen;
}

/** Waits until every pod logged `restored state` from snapshot `checkpointId`. */
export async function waitRestoredLogs(ns: string, pods: Pod[], checkpointId: number): Promise<void> {
  await waitFor(
    `${pods.map((p) => p.metadata.name).join(', ')} to log "restored state" from ${checkpointId}`,
    async () => {
      const logs = await Promise.all(pods.map((p) => workerLog(ns, p.metadata.name)));
      const ok = logs.every((l) =>
        l.some((line) => line.msg === 'restored state' && line.checkpointId === checkpointId),
      );
      return ok
        ? { done: true, value: undefined }
        : { done: false, observed: 'no "restored state" line yet' };
    },
    60_000,
  );
}

/** Waits for a completed checkpoint with an id above `after`; returns status.checkpoints.lastCompleted. */
export async function waitCheckpoint(ns: string, name: string, after: number, timeoutMs: number) {
  return waitFor(
    `a checkpoint of ${name} with id > ${after}`,
    async () => {
      const job = await getJob(ns, name);
      const last = job.status?.checkpoints?.lastCompleted;
      return last && last.id > after
        ? { done: true, value: last }
        : {
            done: false,
            observed: `lastCompleted=${JSON.stringify(last)} checkpoints=${JSON.stringify(job.status?.checkpoints)} ${summary(job)}`,
          };
    },
    timeoutMs,
  );
}

/** The bucket the workers write to, from their pod spec (a plain value, not a secret). */
export const storageBucket = (pod: Pod) =>
  pod.spec.containers[0]?.env?.find((e) => e.name === 'SLUICE_STORAGE_BUCKET')?.value ?? '';

/** The operator's default bucket (its SLUICE_STORAGE_BUCKET), where jobs without spec.storage write. */
export async function defaultBucket(): Promise<string> {
  const d = await kubectlJson<{ spec: { template: { spec: { containers: { env?: EnvVar[] }[] } } } }>([
    '-n',
    systemNamespace,
    'get',
    'deployment',
    'sluice-operator',
  ]);
  const bucket = d.spec.template.spec.containers[0]?.env?.find(
    (e) => e.name === 'SLUICE_STORAGE_BUCKET',
  )?.value;
  if (!bucket) throw new Error('the operator Deployment has no SLUICE_STORAGE_BUCKET');
  return bucket;
}

/** Keys (sorted) of the objects in a snapshot directory. */
export async function snapshotObjects(bucket: string, path: string): Promise<string[]> {
  return (await listObjects(bucket, `${path}/`)).sort();
}

/** What a completed snapshot of `parallelism` workers holds: `_metadata` and one `state-<i>.snap` each. */
export function expectedSnapshotObjects(parallelism: number): string[] {
  return ['_metadata', ...Array.from({ length: parallelism }, (_, i) => `state-${i}.snap`)].sort();
}

/** Events about the StreamJob (reason, note), oldest first. */
export async function jobEvents(ns: string, name: string): Promise<KubeEvent[]> {
  const list = await kubectlJson<{ items: KubeEvent[] }>([
    '-n',
    ns,
    'get',
    'events.v1.events.k8s.io',
    '--field-selector',
    `regarding.name=${name},regarding.kind=StreamJob`,
  ]);
  return list.items.sort((a, b) => (a.eventTime ?? '').localeCompare(b.eventTime ?? ''));
}

/** Keys (relative to `prefix`) of the committed output part files (not `_tmp/`). */
export async function committedParts(bucket: string, prefix: string): Promise<string[]> {
  return (await listObjects(bucket, prefix)).filter((k) => !k.startsWith('_tmp/'));
}

/** Every committed `{word, count}` record under s3://bucket/prefix. */
export async function readCommittedWordcounts(
  bucket: string,
  prefix: string,
): Promise<Array<{ word: string; count: number }>> {
  const keys = await committedParts(bucket, prefix);
  const out: Array<{ word: string; count: number }> = [];
  // Batches keep the exec's argument list short.
  for (let i = 0; i < keys.length; i += 200) {
    const text = await mc(['cat', ...keys.slice(i, i + 200).map((k) => `dev/${bucket}/${prefix}${k}`)]);
    for (const line of text.split('\n')) {
      if (line.trim() !== '') out.push(JSON.parse(line) as { word: string; count: number });
    }
  }
  return out;
}

/** Options of {@link corpusWordcount}. */
export interface CorpusJobOptions {
  parallelism: number;
  /** Lines per second per worker (the S3 source's rate). */
  rate: number;
  outputPrefix: string;
  checkpointIntervalSeconds?: number;
  backoffSeconds?: number;
  upgradeMode?: 'savepoint' | 'last-state' | 'stateless';
  env?: EnvVar[];
}

/**
 * A StreamJob running the built-in wordcount over the corpus at `rate` lines/s per worker into
 * an S3 output prefix, with short checkpoint intervals (a bounded job: it reaches phase Finished
 * once all input is processed and committed).
 */
export function corpusWordcount(
  name: string,
  c: { prefix: string },
  o: CorpusJobOptions,
): Record<string, unknown> {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { name },
    spec: {
      image: runtimeImage,
      job: {
        entry: 'wordcount',
        config: {
          input: { s3: { prefix: c.prefix, rate: o.rate } },
          output: { s3: { prefix: o.outputPrefix } },
        },
      },
      parallelism: o.parallelism,
      maxParallelism: 128,
      upgradeMode: o.upgradeMode ?? 'savepoint',
      checkpoint: { intervalSeconds: o.checkpointIntervalSeconds ?? 3, timeoutSeconds: 60, retained: 3 },
      restartPolicy: { maxRestarts: 10, backoffSeconds: o.backoffSeconds ?? 1 },
      podTemplate: {
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        ...(o.env ? { env: o.env } : {}),
      },
    },
  };
}

/** kubectl apply of a manifest object. */
export const applyManifest = (ns: string, manifest: Record<string, unknown>) =>
  kubectlOk(['-n', ns, 'apply', '-f', '-'], JSON.stringify(manifest));
