/**
 * Object storage outage: the job's storage is a MinIO of this test's own (the shared harness
 * MinIO is not touched); it is stopped while the job runs and started again on the same data
 * directory and port. Checkpoints must fail visibly (status.checkpoints.failed, lastFailure,
 * CheckpointsHealthy=False, Warning Events) while the workers keep running in their first
 * attempt, and complete again once storage is back (CheckpointsHealthy=True).
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import {
  Jobs,
  eventsAbout,
  exampleJob,
  metricValue,
  startInProcessOperator,
  waitFor,
  type InProcessOperator,
} from '../harness/operator.ts';
import { setupTestEnv, removeBucket, type TestEnv } from '../harness/env.ts';
import { startMinio, type MinioServer } from '../harness/minio-server.ts';
import { stopServer } from '../harness/process.ts';
import { startProcessKubelet } from '../harness/coordination-fixture.ts';
import type { ProcessKubelet } from '../harness/process-kubelet.ts';
import { Client as MinioClient } from 'minio';

jest.setTimeout(150_000);

const SECRET = 'outage-storage-credentials';
const BUCKET = 'outage';

function healthy(j: StreamJob): string | undefined {
  return j.status?.conditions?.find((c) => c.type === 'CheckpointsHealthy')?.status;
}

describe('storage outage (operator + real workers + own MinIO)', () => {
  let env: TestEnv;
  let jobs: Jobs;
  let kubelet: ProcessKubelet;
  let operator: InProcessOperator;
  let minio: MinioServer;
  let dataDir: string;

  beforeAll(async () => {
    env = await setupTestEnv('coordination-outage');
    jobs = new Jobs(env.kubeConfig, env.namespace);
    dataDir = join(env.state.workDir, `minio-${env.namespace}`);
    minio = await startMinio(dataDir);
    const { endPoint, port, useSSL, accessKey, secretKey } = minio.info;
    await new MinioClient({ endPoint, port, useSSL, accessKey, secretKey }).makeBucket(BUCKET);
    await env.kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: env.namespace,
      body: { metadata: { name: SECRET }, stringData: { accessKey, secretKey } },
    });
    kubelet = startProcessKubelet(env);
    operator = await startInProcessOperator({
      kubeConfig: env.kubeConfig,
      namespace: env.namespace,
      bucket: BUCKET,
      state: env.state,
      secret: SECRET,
      logFile: join(env.state.workDir, `operator-${env.namespace}.log`),
      extraEnv: { SLUICE_STORAGE_ENDPOINT: minio.info.url },
    });
  });

  afterAll(async () => {
    await kubelet?.stop();
    await operator?.stop();
    if (minio) {
      const { endPoint, port, useSSL, accessKey, secretKey } = minio.info;
      await removeBucket(new MinioClient({ endPoint, port, useSSL, accessKey, secretKey }), BUCKET).catch(
        () => undefined,
      );
      await stopServer(minio.process);
    }
    await env?.cleanup();
  });

  it('fails checkpoints visibly while storage is down, keeps the job running, and recovers', async () => {
    const manifest = exampleJob('wordcount.yaml');
    manifest.metadata.name = 'wc';
    manifest.spec.parallelism = 2;
    // No storage on the data path: generator in, log out; only checkpoints need MinIO.
    manifest.spec.job.config = {
      input: {
        generator: { lines: 1_000_000, rate: 100, vocabulary: 50, wordsPerLine: 4, partitions: 2, seed: 3 },
      },
      output: { log: {} },
    };
    manifest.spec.checkpoint = { intervalSeconds: 1, timeoutSeconds: 5, retained: 2 };
    delete manifest.spec.podTemplate;
    await jobs.create(manifest);
    await waitFor(
      'two completed checkpoints',
      async () => ((await jobs.get('wc')).status?.checkpoints?.lastCompleted?.id ?? 0) >= 2,
      60_000,
    );

    await stopServer(minio.process);
    const failing = await waitFor(
      'a failed checkpoint and CheckpointsHealthy=False',
      async () => {
        const j = await jobs.get('wc');
        return (j.status?.checkpoints?.failed ?? 0) >= 1 && healthy(j) === 'False' && j;
      },
      60_000,
    );
    expect(failing.status!.checkpoints!.lastFailure).toMatchObject({
      reason: expect.stringMatching(/Timeout|WorkerFailed/),
    });
    expect(failing.status).toMatchObject({ phase: 'Running', attempt: 1 });
    const events = await waitFor('a CheckpointFailed Warning Event', async () => {
      const all = await eventsAbout(env.kubeConfig, env.namespace, 'wc');
      return all.some((e) => e.reason === 'CheckpointFailed' && e.type === 'Warning') && all;
    });
    expect(events.find((e) => e.reason === 'CheckpointFailed')!.note).toMatch(/the job keeps running/);
    const failedId = failing.status!.checkpoints!.lastFailure!.id!;
    const labels = { namespace: env.namespace, name: 'wc' };
    await waitFor(
      'the failures metric',
      async () => ((await metricValue(operator.url, 'sluice_checkpoint_failures', labels)) ?? 0) >= 1,
    );

    minio = await startMinio(
      dataDir,
      { accessKey: minio.info.accessKey, secretKey: minio.info.secretKey },
      minio.info.port,
    );
    const recovered = await waitFor(
      'a checkpoint completed after storage came back',
      async () => {
        const j = await jobs.get('wc');
        return (j.status?.checkpoints?.lastCompleted?.id ?? 0) > failedId && healthy(j) === 'True' && j;
      },
      60_000,
    );
    expect(recovered.status).toMatchObject({ phase: 'Running', attempt: 1 });
    expect(recovered.status!.restarts ?? 0).toBe(0);
    await waitFor('metrics of the recovered checkpoint', async () => {
      const id = await metricValue(operator.url, 'sluice_checkpoint_last_completed_id', labels);
      const bytes = await metricValue(operator.url, 'sluice_checkpoint_last_size_bytes', labels);
      const at = await metricValue(
        operator.url,
        'sluice_checkpoint_last_completed_timestamp_seconds',
        labels,
      );
      return (id ?? 0) > failedId && (bytes ?? 0) > 0 && (at ?? 0) > 0;
    });
  });
});
