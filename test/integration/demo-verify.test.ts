/**
 * The demo's self-check (hack/demo-verify.ts, docs/e2e.md "Demo") against the harness's real
 * kube-apiserver and real local workers: the StreamJob's status is read through the API server
 * (here the test writes status.checkpoints as the operator would, after a real checkpoint of the
 * workers by the harness coordinator), the records read from the workers' real /metrics.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { jobPrefix } from '@sluice/api/layout.ts';
import { STREAMJOB_GROUP, STREAMJOB_PLURAL, STREAMJOB_VERSION } from '@sluice/api/streamjob.ts';
import { streamJobReader, urlRecordsReader } from '../../hack/demo-verify/kube-readers.ts';
import { verifyJob } from '../../hack/demo-verify/verify-job.ts';
import { exampleJob } from '../harness/operator.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { LocalCoordinator, LocalJob } from '../harness/local-workers.ts';
import { repoRoot } from '../harness/paths.ts';

const LONG = 180_000;

describe('demo self-check (hack/demo-verify.ts)', () => {
  let env: TestEnv;
  let api: CustomObjectsApi;
  const jobs: LocalJob[] = [];
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-demo-verify-'));

  beforeAll(async () => {
    env = await setupTestEnv('demo-verify');
    api = env.kubeConfig.makeApiClient(CustomObjectsApi);
  }, LONG);

  afterEach(async () => {
    await Promise.all(jobs.splice(0).map((j) => j.stop()));
  }, LONG);

  afterAll(() => env.cleanup(), LONG);

  const common = { group: STREAMJOB_GROUP, version: STREAMJOB_VERSION, plural: STREAMJOB_PLURAL };

  async function createJob(name: string): Promise<void> {
    const manifest = exampleJob('wordcount.yaml');
    manifest.metadata.name = name;
    await api.createNamespacedCustomObject({ ...common, namespace: env.namespace, body: manifest });
  }

  /** Writes status.checkpoints.lastCompleted as the operator does when a checkpoint completed. */
  async function setLastCompleted(name: string, id: number, path: string): Promise<void> {
    await api.patchNamespacedCustomObjectStatus(
      {
        ...common,
        namespace: env.namespace,
        name,
        body: { status: { phase: 'Running', attempt: 1, checkpoints: { lastCompleted: { id, path } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** Local wordcount workers with a health endpoint, reading `input` (wordcount's input config). */
  async function startWorkers(name: string, input: object) {
    const storagePrefix = jobPrefix('sluice', env.namespace, name, `${name}-uid`);
    const job = await LocalJob.start({
      name,
      entry: 'wordcount',
      config: { input, output: { discard: {} } },
      parallelism: 2,
      attempt: 0,
      minio: env.state.minio,
      bucket: env.bucket,
      storagePrefix,
      logDir,
      env: { SLUICE_LOG_LEVEL: 'warn' },
      health: true,
    });
    jobs.push(job);
    await job.waitRunning();
    return { job, coordinator: new LocalCoordinator(env.minio, env.bucket, storagePrefix) };
  }

  const deps = (name: string, job: LocalJob) => ({
    readJob: streamJobReader(env.kubeConfig, env.namespace, name),
    readRecords: urlRecordsReader(job.workers.map((w) => `${w.healthUrl}/metrics`)),
    intervalMs: 300,
  });

  it(
    'passes a job whose checkpoint completed and whose sources keep reading',
    async () => {
      await createJob('demo-ok');
      const { job, coordinator } = await startWorkers('demo-ok', {
        generator: { lines: 10_000_000, rate: 2000 },
      });
      const chk = await coordinator.checkpoint(job);
      await setLastCompleted('demo-ok', chk.id, chk.path);
      const v = await verifyJob(deps('demo-ok', job), { checkpointMs: 20_000, progressMs: 20_000 });
      expect(v.state).toBe('pass');
      expect(v.message).toMatch(
        new RegExp(`^checkpoint ${chk.id} completed .*; records read grew from \\d+ to \\d+$`),
      );
    },
    LONG,
  );

  it(
    'fails a job without a completed checkpoint within the bound, with a clear message',
    async () => {
      await createJob('demo-nochk');
      const { job } = await startWorkers('demo-nochk', { generator: { lines: 10_000_000, rate: 2000 } });
      const v = await verifyJob(deps('demo-nochk', job), { checkpointMs: 2000, progressMs: 60_000 });
      expect(v).toEqual({
        state: 'fail',
        message: 'no checkpoint completed within 2 s (status.checkpoints.lastCompleted is unset)',
      });
    },
    LONG,
  );

  it(
    'fails a job whose sources read nothing, even though its checkpoints complete',
    async () => {
      await createJob('demo-stuck');
      // A rate of one line per 1000 s: the sources stay idle; barriers still pass.
      const { job, coordinator } = await startWorkers('demo-stuck', {
        generator: { lines: 1000, rate: 0.001 },
      });
      const chk = await coordinator.checkpoint(job);
      await setLastCompleted('demo-stuck', chk.id, chk.path);
      const v = await verifyJob(deps('demo-stuck', job), { checkpointMs: 20_000, progressMs: 2000 });
      expect(v.state).toBe('fail');
      expect(v.message).toMatch(/^no progress: the records read stayed at 0 for [\d.]+ s$/);
    },
    LONG,
  );

  it(
    'the CLI exits 1 with the reason when the job completes no checkpoint',
    async () => {
      await createJob('demo-cli');
      const run = promisify(execFile)(
        process.execPath,
        [
          join(repoRoot, 'hack', 'demo-verify.ts'),
          ...['--kubeconfig', env.kubeconfigPath, '--namespace', env.namespace, '--job', 'demo-cli'],
          ...['--checkpoint-timeout', '2', '--progress-timeout', '60', '--interval', '0.5'],
        ],
        { env: { ...process.env, NODE_OPTIONS: '--no-warnings' } },
      );
      await expect(run).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining(
          `FAILED: StreamJob ${env.namespace}/demo-cli: no checkpoint completed within 2 s (status.checkpoints.lastCompleted is unset)`,
        ),
      });
    },
    LONG,
  );
});
