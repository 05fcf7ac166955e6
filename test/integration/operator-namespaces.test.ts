/**
 * An operator configured with several namespaces reconciles StreamJobs in each of them — with
 * storage credentials minted with the operator's default Secret from its namespace — and leaves namespaces
 * it does not watch alone.
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

jest.setTimeout(120_000);

const SECRET = 'sluice-storage-credentials';

describe('operator watching several namespaces', () => {
  let home: TestEnv;
  let second: TestEnv;
  let unwatched: TestEnv;
  let operator: InProcessOperator;

  const job = (namespace: string) => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { name: 'multi', namespace },
    spec: { image: 'sluice-runtime:dev', job: { entry: 'wordcount' } },
  });
  const pods = async (env: TestEnv) =>
    (
      await env.kubeConfig
        .makeApiClient(CoreV1Api)
        .listNamespacedPod({ namespace: env.namespace, labelSelector: 'sluice.dev/job=multi' })
    ).items.map((p) => p.metadata!.name);

  beforeAll(async () => {
    [home, second, unwatched] = await Promise.all([
      setupTestEnv('operator-ns-home'),
      setupTestEnv('operator-ns-second'),
      setupTestEnv('operator-ns-unwatched'),
    ]);
    await createStorageSecret(home.kubeConfig, home.namespace, SECRET, home.state);
    operator = await startInProcessOperator({
      kubeConfig: home.kubeConfig,
      namespace: home.namespace,
      bucket: home.bucket,
      state: home.state,
      secret: SECRET,
      logFile: join(home.state.workDir, `operator-${home.namespace}.log`),
      extraEnv: { SLUICE_WATCH_NAMESPACES: `${home.namespace},${second.namespace}` },
    });
  });

  afterAll(async () => {
    await operator?.stop();
    await Promise.all([home, second, unwatched].map((e) => e?.cleanup()));
  });

  it('reconciles jobs in every watched namespace and none elsewhere', async () => {
    await new Jobs(home.kubeConfig, home.namespace).create(job(home.namespace));
    await new Jobs(second.kubeConfig, second.namespace).create(job(second.namespace));
    await new Jobs(unwatched.kubeConfig, unwatched.namespace).create(job(unwatched.namespace));

    await waitFor('the pod in the home namespace', async () => (await pods(home)).join() === 'multi-1-0');
    await waitFor('the pod in the second namespace', async () => (await pods(second)).join() === 'multi-1-0');
    const minted = await second.kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name: 'multi-storage-credentials', namespace: second.namespace });
    // Minted for the job in its own namespace (docs/security.md "Per-job storage credentials").
    expect(Object.keys(minted.data ?? {}).sort()).toEqual([
      'accessKey',
      'expiration',
      'issuedAt',
      'policySha256',
      'secretKey',
      'sessionToken',
    ]);

    expect(operator.manager.jobInformers).toHaveLength(2);
    // Both watched jobs are reconciled; the unwatched one has neither pods nor status.
    await waitFor('status in the second namespace', async () => {
      const j = await new Jobs(second.kubeConfig, second.namespace).get('multi');
      return j.status?.attempt === 1;
    });
    expect(await pods(unwatched)).toEqual([]);
    expect((await new Jobs(unwatched.kubeConfig, unwatched.namespace).get('multi')).status).toBeUndefined();
  });
});
