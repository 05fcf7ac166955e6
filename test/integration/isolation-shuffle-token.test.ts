/**
 * The per-attempt shuffle token (docs/security.md): the operator writes it to the Secret
 * `<job>-shuffle-token` before the attempt's pods, the pods get it only through a secretKeyRef,
 * and a new attempt gets a new token. Real API server; the operator's Manager runs in this
 * process; the kubelet stand-in writes pod status. (Workers presenting it in the handshake:
 * runtime-image/src/shuffle/shuffle.test.ts; workers of one attempt connecting with it: the
 * coordination tests, whose process kubelet resolves the secretKeyRef.)
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  Jobs,
  createStorageSecret,
  startInProcessOperator,
  waitFor,
  type InProcessOperator,
} from '../harness/operator.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { KubeletStandIn } from '../harness/kubelet-standin.ts';

jest.setTimeout(120_000);

const SECRET = 'sluice-storage-credentials';

describe('shuffle token (in-process operator, real API server)', () => {
  let env: TestEnv;
  let core: CoreV1Api;
  let jobs: Jobs;
  let operator: InProcessOperator;

  beforeAll(async () => {
    env = await setupTestEnv('isolation-shuffle-token');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    jobs = new Jobs(env.kubeConfig, env.namespace);
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

  const tokenSecret = () =>
    core.readNamespacedSecret({ name: 'tok-shuffle-token', namespace: env.namespace });
  const podsOf = async (attempt: number) =>
    (
      await core.listNamespacedPod({
        namespace: env.namespace,
        labelSelector: `sluice.dev/job=tok,sluice.dev/attempt=${attempt}`,
      })
    ).items.filter((p) => !p.metadata?.deletionTimestamp);

  it('gives every attempt its own token, through a Secret the pods reference', async () => {
    const job = await jobs.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'StreamJob',
      metadata: { name: 'tok', namespace: env.namespace },
      spec: { image: 'sluice-runtime:dev', job: { entry: 'wordcount' }, parallelism: 2 },
    });
    const pods = await waitFor('pods of attempt 1', async () => {
      const p = await podsOf(1);
      return p.length === 2 && p;
    });
    const first = await tokenSecret();
    expect(first.metadata).toMatchObject({
      labels: { 'sluice.dev/attempt': '1', 'sluice.dev/job': 'tok' },
      ownerReferences: [{ kind: 'StreamJob', name: 'tok', uid: job.metadata!.uid, controller: true }],
    });
    const token1 = Buffer.from(first.data!.token!, 'base64').toString();
    expect(token1).toMatch(/^[0-9a-f]{64}$/);
    for (const p of pods) {
      const env0 = p.spec!.containers[0]!.env!.find((e) => e.name === 'SLUICE_SHUFFLE_TOKEN');
      expect(env0).toEqual({
        name: 'SLUICE_SHUFFLE_TOKEN',
        valueFrom: { secretKeyRef: { name: 'tok-shuffle-token', key: 'token' } },
      });
    }

    // A restart starts attempt 2, which gets a new token before its pods exist.
    const kubelet = new KubeletStandIn(env.kubeConfig, env.namespace);
    await kubelet.markAllReady('sluice.dev/job=tok');
    await jobs.annotate('tok', 'sluice.dev/restart', 'r1');
    await waitFor('pods of attempt 2', async () => (await podsOf(2)).length === 2, 60_000);
    const second = await tokenSecret();
    expect(second.metadata!.labels!['sluice.dev/attempt']).toBe('2');
    expect(Buffer.from(second.data!.token!, 'base64').toString()).not.toBe(token1);
    // Reconciles within the attempt keep it.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await tokenSecret()).data!.token).toBe(second.data!.token);
    await jobs.delete('tok');
  });
});
