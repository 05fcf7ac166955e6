/**
 * Worker pod names that collide with another workload's pods (docs/operator.md "Worker
 * permissions"): job `zk` (pods `zk-<attempt>-<index>`) next to a StatefulSet `zk-1` (pods
 * `zk-1-0`, `zk-1-1`, …). The job stops with Degraded `PodNameConflict` before any Role or pod
 * is written, and the workers' ServiceAccount — checked with a real token — can do nothing to
 * the foreign pod, also when that pod took a name after the Role had granted it. Real API
 * server; the operator's Manager runs in this process.
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CoreV1Api, RbacAuthorizationV1Api, type V1Pod } from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import {
  Jobs,
  apiMessage,
  createStorageSecret,
  eventsWith,
  startInProcessOperator,
  tokenKubeConfig,
  waitFor,
  type InProcessOperator,
} from '../harness/operator.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';

// The integration project's testTimeout is not applied per project by jest 30; set it here.
jest.setTimeout(120_000);

const SECRET = 'sluice-storage-credentials';

/** A pod of another workload (restricted-PSS compliant), e.g. a StatefulSet's. */
function foreignPod(name: string): V1Pod {
  return {
    metadata: { name, labels: { app: 'zookeeper' } },
    spec: {
      serviceAccountName: 'zookeeper',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'zk',
          image: 'zookeeper:3.9',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

describe('worker pod names colliding with foreign pods (in-process operator, real API server)', () => {
  let env: TestEnv;
  let core: CoreV1Api;
  let rbac: RbacAuthorizationV1Api;
  let jobs: Jobs;
  let operator: InProcessOperator;

  const start = () =>
    startInProcessOperator({
      kubeConfig: env.kubeConfig,
      namespace: env.namespace,
      bucket: env.bucket,
      state: env.state,
      secret: SECRET,
      logFile: join(env.state.workDir, `operator-${env.namespace}.log`),
    });
  const manifest = (name: string, parallelism: number) => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { name, namespace: env.namespace },
    spec: { image: 'sluice-runtime:dev', job: { entry: 'wordcount' }, parallelism },
  });
  const degraded = (name: string) =>
    waitFor(`${name} Degraded=True`, async () => {
      const j: StreamJob = await jobs.get(name);
      const c = j.status?.conditions?.find((x) => x.type === 'Degraded');
      return c?.status === 'True' && c;
    });
  const podsOf = async (job: string) =>
    (await core.listNamespacedPod({ namespace: env.namespace, labelSelector: `sluice.dev/job=${job}` })).items
      .map((p) => p.metadata!.name!)
      .sort();
  /** A client with a real token of the job's worker ServiceAccount (created here if the operator did not). */
  const workerClient = async (job: string) => {
    const sa = `${job}-worker`;
    await core
      .readNamespacedServiceAccount({ name: sa, namespace: env.namespace })
      .catch(() =>
        core.createNamespacedServiceAccount({ namespace: env.namespace, body: { metadata: { name: sa } } }),
      );
    const token = await core.createNamespacedServiceAccountToken({
      name: sa,
      namespace: env.namespace,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    return tokenKubeConfig(env.state, token.status?.token ?? '').makeApiClient(CoreV1Api);
  };
  const denied = async (call: Promise<unknown>) =>
    expect(
      call.then(
        () => 'allowed',
        (e: unknown) => apiMessage(e),
      ),
    ).resolves.toMatch(/^403: /);
  const annotate = (worker: CoreV1Api, name: string) =>
    worker.patchNamespacedPod({
      name,
      namespace: env.namespace,
      body: [{ op: 'add', path: '/metadata/annotations/sluice.dev~1checkpoint-ack', value: '{"id":1}' }],
    });

  beforeAll(async () => {
    env = await setupTestEnv('isolation-pod-names');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    rbac = env.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    jobs = new Jobs(env.kubeConfig, env.namespace);
    await createStorageSecret(env.kubeConfig, env.namespace, SECRET, env.state);
    // The harness runs no controller-manager: the foreign workload's ServiceAccount is made here.
    await core.createNamespacedServiceAccount({
      namespace: env.namespace,
      body: { metadata: { name: 'zookeeper' } },
    });
    operator = await start();
  });

  afterAll(async () => {
    await operator?.stop();
    await env?.cleanup();
  });

  it('stops a job whose pod name is taken before writing its Role or any pod, granting nothing on the foreign pod', async () => {
    await core.createNamespacedPod({ namespace: env.namespace, body: foreignPod('zk-1-0') });
    await jobs.create(manifest('zk', 4));
    const c = await degraded('zk');
    // Retries (with backoff) keep writing nothing.
    await new Promise((r) => setTimeout(r, 1500));
    const worker = await workerClient('zk');
    await denied(worker.readNamespacedPod({ name: 'zk-1-0', namespace: env.namespace }));
    await denied(annotate(worker, 'zk-1-0'));
    const foreign = await core.readNamespacedPod({ name: 'zk-1-0', namespace: env.namespace });
    expect(foreign.metadata!.annotations?.['sluice.dev/checkpoint-ack']).toBeUndefined();
    expect(await podsOf('zk')).toEqual([]);
    await expect(
      rbac.readNamespacedRole({ name: 'zk-worker', namespace: env.namespace }).catch((e) => apiMessage(e)),
    ).resolves.toMatch(/^404: /);
    const events = await eventsWith(env.kubeConfig, env.namespace, 'zk', ['PodNameConflict']);
    expect(events.find((e) => e.reason === 'PodNameConflict')).toMatchObject({ type: 'Warning' });
    expect(c).toMatchObject({
      reason: 'PodNameConflict',
      message: `pod name(s) zk-1-0 needed by attempt 1 of StreamJob ${env.namespace}/zk are taken by pods it does not control (worker pods are named <job>-<attempt>-<index>); no worker Role or pod is written for this attempt until those pods are deleted, or recreate the StreamJob under another name`,
    });

    // Once the foreign pod (and the ServiceAccount made here for the token) is gone, the job starts.
    await core.deleteNamespacedServiceAccount({ name: 'zk-worker', namespace: env.namespace });
    await core.deleteNamespacedPod({ name: 'zk-1-0', namespace: env.namespace, gracePeriodSeconds: 0 });
    await waitFor('4 worker pods of zk', async () => (await podsOf('zk')).length === 4 && true, 60_000);
    expect(await podsOf('zk')).toEqual(['zk-1-0', 'zk-1-1', 'zk-1-2', 'zk-1-3']);
    await jobs.delete('zk');
  });

  it('revokes a granted name that a foreign pod took since the Role was written', async () => {
    await jobs.create(manifest('late', 2));
    await waitFor('2 worker pods of late', async () => (await podsOf('late')).length === 2 && true);
    const worker = await workerClient('late');
    await expect(
      worker.readNamespacedPod({ name: 'late-1-1', namespace: env.namespace }),
    ).resolves.toBeDefined();

    // While the operator is down, worker late-1-1 goes and another workload's pod takes its name.
    await operator.stop();
    await core.deleteNamespacedPod({ name: 'late-1-1', namespace: env.namespace, gracePeriodSeconds: 0 });
    await waitFor('late-1-1 gone', async () => !(await podsOf('late')).includes('late-1-1'));
    await core.createNamespacedPod({ namespace: env.namespace, body: foreignPod('late-1-1') });
    operator = await start();

    const c = await degraded('late');
    const role = await rbac.readNamespacedRole({ name: 'late-worker', namespace: env.namespace });
    // The pods granted (the other rule names the StreamJob itself).
    const podRules = role.rules?.filter((r) => r.resources?.includes('pods')) ?? [];
    expect(podRules.flatMap((r) => r.resourceNames ?? [])).toEqual(['late-1-0']);
    await denied(worker.readNamespacedPod({ name: 'late-1-1', namespace: env.namespace }));
    await denied(annotate(worker, 'late-1-1'));
    await expect(
      worker.readNamespacedPod({ name: 'late-1-0', namespace: env.namespace }),
    ).resolves.toBeDefined();
    expect(c).toMatchObject({
      reason: 'PodNameConflict',
      message: expect.stringMatching(/^pod name\(s\) late-1-1 needed by attempt 1 of StreamJob /),
    });
    await jobs.delete('late');
  });
});
