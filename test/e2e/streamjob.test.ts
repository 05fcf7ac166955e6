/**
 * StreamJobs on a real cluster: the examples applied with kubectl run as real worker pods of
 * the runtime image; records flow (worker progress logs), checkpoints complete into MinIO, an
 * invalid manifest is refused with a readable message, suspend/resume removes and brings back
 * the workers, a force-deleted worker is recovered, the committed output has every (word, count)
 * at most once across all that, and deleting the job garbage-collects what it owned.
 *
 * Each run works in a namespace of its own (enforcing the `restricted` Pod Security Standard)
 * and gives the examples an output prefix under it, so parallel runs and the demo do not mix.
 * The scenarios of the wordcount block build on each other and run in order.
 */
import { jest } from '@jest/globals';
import {
  createRestrictedNamespace,
  installChart,
  kubectl,
  kubectlJson,
  kubectlOk,
  listObjects,
  mc,
  minioDeployment,
  requireCluster,
  runtimeImage,
  systemNamespace,
  waitFor,
} from './cluster.ts';
import * as h from './streamjob-helpers.ts';
import { condition, isRunningReady, storageBucket, summary, type Pod } from './streamjob-helpers.ts';
import { expectCheckpointObjects } from './wordcount-corpus.ts';

jest.setTimeout(600_000);

const ns = `sluice-e2e-${Date.now().toString(36)}`;

// The helpers, bound to this file's namespace.
const applyExample = (file: string, patch: Record<string, unknown>) => h.applyExample(ns, file, patch);
const getJob = (name: string) => h.getJob(ns, name);
const jobPods = (name: string) => h.jobPods(ns, name);
const waitReady = (name: string, timeoutMs: number, extra?: (job: h.Job) => boolean) =>
  h.waitReady(ns, name, timeoutMs, extra);
const waitRecordsFlow = (pods: Pod[]) => h.waitRecordsFlow(ns, pods);
const waitCheckpoint = (name: string, after: number, timeoutMs: number) =>
  h.waitCheckpoint(ns, name, after, timeoutMs);

beforeAll(async () => {
  await requireCluster();
  await installChart();
  await createRestrictedNamespace(ns);
});

afterAll(async () => {
  if (process.env.SLUICE_E2E_KEEP_NAMESPACE === '1') return;
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('an invalid StreamJob', () => {
  it('is refused by kubectl apply with messages that name the fields', async () => {
    const bad = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'StreamJob',
      metadata: { name: 'invalid' },
      spec: {
        image: runtimeImage,
        job: { entry: 'wordcount' },
        parallelism: 5,
        maxParallelism: 4,
        checkpoint: { intervalSeconds: 0 },
      },
    };
    const r = await kubectl(['-n', ns, 'apply', '-f', '-'], JSON.stringify(bad));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The StreamJob "invalid" is invalid');
    expect(r.stderr).toContain(
      'spec.checkpoint.intervalSeconds: Invalid value: 0: spec.checkpoint.intervalSeconds in body should be greater than or equal to 1',
    );
    expect(r.stderr).toContain(
      'spec.parallelism must not exceed spec.maxParallelism (each worker owns at least one key group)',
    );
    const get = await kubectl(['-n', ns, 'get', 'streamjob', 'invalid']);
    expect(get.stderr).toMatch(/NotFound|not found/);
  });
});

describe('examples/nexmark-q5.yaml', () => {
  const name = 'nexmark-q5';

  it('runs 4 workers on RocksDB state that process events, complete checkpoints, restore a deleted pod, and is deleted', async () => {
    // The example asks for 4 × 250m CPU, more than a 2-core kind node has left beside the
    // control plane; a lower request lets all 4 schedule (the limits stay).
    await applyExample(name, {
      spec: {
        podTemplate: { resources: { requests: { cpu: '100m' } } },
        job: { config: { output: { s3: { prefix: `outputs/${ns}/${name}/` } } } },
      },
    });
    const { pods } = await waitReady(name, 240_000);
    expect(pods.map((p) => p.metadata.name).sort()).toEqual([0, 1, 2, 3].map((i) => `${name}-1-${i}`));
    await waitRecordsFlow(pods);
    const last = await waitCheckpoint(name, 0, 120_000);
    const bucket = storageBucket(pods[0] as Pod);
    await expectCheckpointObjects(bucket, last.path, 4);
    // The example keeps its state in RocksDB (a local emptyDir) with incremental checkpoints:
    // every worker's state is in shared files, and status says what the checkpoint uploaded.
    const metadata = JSON.parse(await mc(['cat', `dev/${bucket}/${last.path}/_metadata`])) as {
      workers: Array<{ sharedFiles?: unknown[] }>;
    };
    expect(metadata.workers.every((w) => (w.sharedFiles ?? []).length > 0)).toBe(true);
    const completed = (await getJob(name)).status?.checkpoints?.lastCompleted;
    expect(completed?.uploadedBytes).toBeLessThanOrEqual(completed?.bytes ?? 0);

    // A worker pod deleted mid-stream: the next attempt restores the RocksDB state from the
    // last checkpoint's shared files and completes checkpoints again.
    const before = await getJob(name);
    await kubectlOk(['-n', ns, 'delete', 'pod', `${name}-1-2`, '--grace-period=0', '--force']);
    const back = await waitReady(name, 240_000, (j) => (j.status?.attempt ?? 0) > 1);
    expect(back.job.status?.restoredFrom?.kind).toBe('checkpoint');
    expect(back.job.status?.restoredFrom?.id ?? 0).toBeGreaterThanOrEqual(
      before.status?.checkpoints?.lastCompleted?.id ?? 0,
    );
    await h.waitRestoredLogs(ns, back.pods, back.job.status?.restoredFrom?.id ?? -1);
    await waitCheckpoint(name, back.job.status?.restoredFrom?.id ?? 0, 120_000);

    await kubectlOk(['-n', ns, 'delete', 'streamjob', name]);
    await waitFor(
      `the pods of ${name} to be gone`,
      async () => {
        const left = await jobPods(name);
        return left.length === 0
          ? { done: true, value: undefined }
          : { done: false, observed: left.map((p) => p.metadata.name).join(' ') };
      },
      120_000,
    );
  });
});

describe('examples/wordcount.yaml', () => {
  const name = 'wordcount';
  const outputPrefix = `outputs/${ns}/${name}/`;
  let bucket = '';

  it('becomes Ready with real worker pods of the runtime image that pass the restricted profile', async () => {
    await applyExample(name, { spec: { job: { config: { output: { s3: { prefix: outputPrefix } } } } } });
    const { job, pods } = await waitReady(name, 180_000);
    expect(job.status?.phase).toBe('Running');
    expect(job.status?.attempt).toBe(1);
    expect(job.status?.workers).toMatchObject({ ready: 2, total: 2 });
    expect(pods.map((p) => p.metadata.name).sort()).toEqual([`${name}-1-0`, `${name}-1-1`]);
    for (const p of pods) {
      expect(p.spec.containers[0]?.image).toBe(runtimeImage);
      expect(p.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(p.spec.containers[0]?.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      // Ready comes from the runtime: a readinessProbe on /readyz of the health endpoint that
      // SLUICE_HEALTH_PORT opens (no liveness probe: a failed worker fails the attempt).
      const c = p.spec.containers[0];
      const healthPort = c?.env?.find((e) => e.name === 'SLUICE_HEALTH_PORT')?.value;
      expect(c?.ports?.find((x) => x.name === 'health')?.containerPort).toBe(Number(healthPort));
      expect(c?.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'health' } });
      expect(c?.livenessProbe).toBeUndefined();
      // Credentials reach the worker only as Secret references.
      const env = p.spec.containers[0]?.env ?? [];
      for (const v of ['SLUICE_STORAGE_ACCESS_KEY', 'SLUICE_STORAGE_SECRET_KEY']) {
        const e = env.find((x) => x.name === v);
        expect(e?.value).toBeUndefined();
        expect(e?.valueFrom?.secretKeyRef?.name).toBeTruthy();
      }
    }
    bucket = storageBucket(pods[0] as Pod);
    expect(bucket).not.toBe('');
  });

  it('processes records (worker progress logs) and completes checkpoints into MinIO', async () => {
    const pods = (await jobPods(name)).filter(isRunningReady);
    const progress = await waitRecordsFlow(pods);
    for (const p of progress.values()) expect(p.recordsWritten).toBeGreaterThan(0);
    const job = await getJob(name);
    const interval = job.spec.checkpoint?.intervalSeconds ?? 30;
    const last = await waitCheckpoint(name, 0, (2 * interval + 60) * 1000);
    expect(last.path).toContain(`${ns}/${name}/${job.metadata.uid}/checkpoints/chk-${last.id}`);
    await expectCheckpointObjects(bucket, last.path, 2);
    // The two-phase sink commits its part files with the checkpoint.
    await waitFor(
      'committed output part files',
      async () => {
        const keys = (await listObjects(bucket, outputPrefix)).filter((k) => !k.startsWith('_tmp/'));
        return keys.length > 0
          ? { done: true, value: keys }
          : { done: false, observed: 'no committed part file' };
      },
      60_000,
    );
  });

  it('is brought back to Ready after a worker pod is force-deleted', async () => {
    const before = await getJob(name);
    const attempt = before.status?.attempt ?? 0;
    const restarts = before.status?.restarts ?? 0;
    const lastId = before.status?.checkpoints?.lastCompleted?.id ?? 0;
    await kubectlOk(['-n', ns, 'delete', 'pod', `${name}-${attempt}-1`, '--grace-period=0', '--force']);
    const { job, pods } = await waitReady(
      name,
      240_000,
      (j) => (j.status?.attempt ?? 0) > attempt && (j.status?.restarts ?? 0) > restarts,
    );
    expect(condition(job, 'Degraded')?.status).toBe('False');
    // The new attempt restored the latest completed checkpoint (or a later one).
    expect(job.status?.restoredFrom?.kind).toBe('checkpoint');
    expect(job.status?.restoredFrom?.id ?? 0).toBeGreaterThanOrEqual(lastId);
    await h.waitRestoredLogs(ns, pods, job.status?.restoredFrom?.id ?? -1);
  });

  it('suspends (workers removed) and resumes (workers back, processing again)', async () => {
    const before = await getJob(name);
    const attempt = before.status?.attempt ?? 0;
    await kubectlOk([
      '-n',
      ns,
      'patch',
      'streamjob',
      name,
      '--type',
      'merge',
      '-p',
      '{"spec":{"state":"suspended"}}',
    ]);
    const suspended = await waitFor(
      `${name} Suspended without pods`,
      async () => {
        const job = await getJob(name);
        const pods = await jobPods(name);
        return job.status?.phase === 'Suspended' && pods.length === 0
          ? { done: true, value: job }
          : { done: false, observed: summary(job, pods) };
      },
      120_000,
    );
    expect(condition(suspended, 'Ready')).toMatchObject({ status: 'False', reason: 'Suspended' });
    const lastId = suspended.status?.checkpoints?.lastCompleted?.id ?? 0;

    await kubectlOk([
      '-n',
      ns,
      'patch',
      'streamjob',
      name,
      '--type',
      'merge',
      '-p',
      '{"spec":{"state":"running"}}',
    ]);
    const { job, pods } = await waitReady(name, 180_000, (j) => (j.status?.attempt ?? 0) > attempt);
    expect(job.status?.attemptReason).toBe('Resumed');
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(
      [0, 1].map((i) => `${name}-${job.status?.attempt}-${i}`),
    );
    await waitRecordsFlow(pods);
    const interval = job.spec.checkpoint?.intervalSeconds ?? 30;
    await waitCheckpoint(name, lastId, (2 * interval + 60) * 1000);
  });

  it('has committed every (word, count) at most once across the failure and the suspension', async () => {
    const keys = (await listObjects(bucket, outputPrefix)).filter((k) => !k.startsWith('_tmp/'));
    const attempts = new Set(keys.map((k) => /^part-.+-a(\d+)-s\d+-/.exec(k)?.[1]));
    expect(attempts.size).toBeGreaterThanOrEqual(2);
    const text = await mc(['cat', ...keys.map((k) => `dev/${bucket}/${outputPrefix}${k}`)]);
    const seen = new Set<string>();
    const duplicates: string[] = [];
    let records = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const r = JSON.parse(line) as { word: string; count: number };
      expect(typeof r.word).toBe('string');
      expect(r.count).toBeGreaterThanOrEqual(1);
      const key = `${r.word}\u0000${r.count}`;
      if (seen.has(key)) duplicates.push(`${r.word}#${r.count}`);
      seen.add(key);
      records++;
    }
    expect(records).toBeGreaterThan(1000);
    expect(duplicates.slice(0, 10)).toEqual([]);
  });

  it('keeps the storage credentials out of the worker logs', async () => {
    const secret = await kubectlJson<{ data: Record<string, string> }>([
      '-n',
      systemNamespace,
      'get',
      'secret',
      minioDeployment,
    ]);
    const secretKey = Buffer.from(secret.data.secretKey ?? '', 'base64').toString('utf8');
    for (const p of (await jobPods(name)).filter(isRunningReady)) {
      const log = (await kubectlOk(['-n', ns, 'logs', p.metadata.name])).toString();
      expect(log.length).toBeGreaterThan(0);
      expect(log.includes(secretKey)).toBe(false);
    }
  });

  it('is deleted with its pods, Service, ServiceAccount, Role, RoleBinding and Secret (garbage collection)', async () => {
    const job = await getJob(name);
    const kinds = 'pods,services,serviceaccounts,roles,rolebindings,secrets';
    const owned = async () =>
      (
        await kubectlJson<{ items: { kind: string; metadata: { name: string } }[] }>([
          '-n',
          ns,
          'get',
          kinds,
          '-l',
          `sluice.dev/job=${name}`,
        ])
      ).items.map((o) => `${o.kind}/${o.metadata.name}`);
    const beforeDelete = await owned();
    for (const kind of ['Pod', 'Service', 'ServiceAccount', 'Role', 'RoleBinding', 'Secret']) {
      expect(beforeDelete.some((o) => o.startsWith(`${kind}/`))).toBe(true);
    }
    // Background propagation: the StreamJob goes at once, the garbage collector removes the rest.
    await kubectlOk(['-n', ns, 'delete', 'streamjob', name, '--cascade=background']);
    const gone = await kubectl(['-n', ns, 'get', 'streamjob', name]);
    expect(gone.stderr).toMatch(/NotFound|not found/);
    await waitFor(
      `the garbage collector to delete what StreamJob ${name} (uid ${job.metadata.uid}) owned`,
      async () => {
        const left = await owned();
        return left.length === 0
          ? { done: true, value: undefined }
          : { done: false, observed: left.join(' ') };
      },
      120_000,
    );
  });
});
