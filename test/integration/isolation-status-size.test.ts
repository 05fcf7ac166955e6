/**
 * Status size (docs/operator.md "Status size"): a large failing job keeps a writable status —
 * condition messages and Event notes are bounded and counted — and `spec.job.config` is bounded
 * by the CRD and by the operator. Real API server; the operator's Manager runs in this process;
 * the kubelet stand-in writes pod status (long termination messages included).
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import {
  Jobs,
  apiMessage,
  createStorageSecret,
  eventsWith,
  startInProcessOperator,
  waitFor,
  type InProcessOperator,
} from '../harness/operator.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { KubeletStandIn } from '../harness/kubelet-standin.ts';

// The integration project's testTimeout is not applied per project by jest 30; set it here.
jest.setTimeout(300_000);

const SECRET = 'sluice-storage-credentials';
const bytes = (s: string | undefined) => Buffer.byteLength(s ?? '', 'utf8');

describe('status size (in-process operator, real API server)', () => {
  let env: TestEnv;
  let core: CoreV1Api;
  let jobs: Jobs;
  let kubelet: KubeletStandIn;
  let operator: InProcessOperator;

  const manifest = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { name, namespace: env.namespace },
    spec: { image: 'sluice-runtime:dev', job: { entry: 'wordcount' }, ...spec },
  });

  beforeAll(async () => {
    env = await setupTestEnv('isolation-status-size');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    jobs = new Jobs(env.kubeConfig, env.namespace);
    kubelet = new KubeletStandIn(env.kubeConfig, env.namespace);
    await createStorageSecret(env.kubeConfig, env.namespace, SECRET, env.state);
    operator = await startInProcessOperator({
      kubeConfig: env.kubeConfig,
      namespace: env.namespace,
      bucket: env.bucket,
      state: env.state,
      secret: SECRET,
      logFile: join(env.state.workDir, `operator-${env.namespace}.log`),
    });
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.cleanup();
  });

  it('writes the status of a 300-worker job whose attempt fails, with messages under 4 KiB', async () => {
    await jobs.create(
      manifest('big', { parallelism: 300, maxParallelism: 512, restartPolicy: { maxRestarts: 0 } }),
    );
    const names = await waitFor(
      '300 worker pods',
      async () => {
        const pods = await core.listNamespacedPod({
          namespace: env.namespace,
          labelSelector: 'sluice.dev/job=big',
        });
        return pods.items.length === 300 && pods.items.map((p) => p.metadata!.name!);
      },
      180_000,
      1000,
    );
    // Every worker exits with a termination message of the kubelet's maximum, 4 KiB.
    // Sorted by name, not index: the message names whichever it lists first.
    const long = (i: number) =>
      `worker ${i}: ${'java.lang.OutOfMemoryError at frame '.repeat(110)}`.slice(0, 4096);
    for (let i = 0; i < names.length; i += 16) {
      await Promise.all(names.slice(i, i + 16).map((n, j) => kubelet.markTerminated(n, 137, long(i + j))));
    }
    const job = await waitFor(
      'phase Failed with all 300 failed workers in Degraded',
      async () => {
        const j: StreamJob = await jobs.get('big');
        const degraded = j.status?.conditions?.find((c) => c.type === 'Degraded');
        return j.status?.phase === 'Failed' && degraded?.message.startsWith('300 ') && j;
      },
      120_000,
      500,
    );
    const degraded = job.status!.conditions!.find((c) => c.type === 'Degraded')!;
    // The budget (maxRestarts) is spent at once: the Degraded reason says so (docs/checkpointing.md).
    expect(degraded.reason).toBe('RestartBudgetExhausted');
    expect(degraded.message).toMatch(
      /^300 workers failed: big-1-\d+(: Error)? \(exit code 137: worker \d+: java/,
    );
    expect(degraded.message).toMatch(/… and 297 more/);
    for (const c of job.status!.conditions!) expect(bytes(c.message)).toBeLessThan(4096);
    // Still writable: a later status write (the status of a suspended job) goes through.
    await jobs.mergePatch('big', { spec: { state: 'suspended' } });
    await waitFor('Suspended', async () => (await jobs.get('big')).status?.phase === 'Suspended', 120_000);
    const events = await eventsWith(env.kubeConfig, env.namespace, 'big', [
      'RestartBudgetExhausted',
      'WorkersCreated',
    ]);
    for (const e of events) expect(bytes(e.note)).toBeLessThanOrEqual(1024);
    expect(events.find((e) => e.reason === 'WorkersCreated')?.note).toMatch(/… and \d+ more$/);
    await jobs.delete('big');
  });

  it('rejects a job.config with more than 64 top-level keys at admission', async () => {
    const config = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
    const err = await jobs.create(manifest('wide', { job: { entry: 'wordcount', config } })).then(
      () => 'accepted',
      (e: unknown) => apiMessage(e),
    );
    expect(err).toMatch(/spec\.job\.config: Too many: 65: must have at most 64 items/);
  });

  it('refuses a job.config over 16 KiB as Degraded before writing any pod or Role', async () => {
    const config = { input: { nested: { lines: Array.from({ length: 600 }, () => 'x'.repeat(30)) } } };
    await jobs.create(manifest('heavy', { job: { entry: 'wordcount', config } }));
    const job = await waitFor('Degraded=True', async () => {
      const j = await jobs.get('heavy');
      return j.status?.conditions?.find((c) => c.type === 'Degraded')?.status === 'True' && j;
    });
    expect(job.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({
      reason: 'JobConfigTooLarge',
      message: expect.stringMatching(/^spec\.job\.config is \d+ bytes as JSON, more than the 16384 allowed/),
    });
    const pods = await core.listNamespacedPod({
      namespace: env.namespace,
      labelSelector: 'sluice.dev/job=heavy',
    });
    expect(pods.items).toHaveLength(0);
    expect(job.status!.attempt ?? 0).toBe(0);
    await jobs.delete('heavy');
  });
});
