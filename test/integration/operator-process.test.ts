/**
 * The operator as real processes (`node operator/src/main.ts`) with least-privilege RBAC
 * (operator/config/rbac/role.yaml, through a ServiceAccount token): leader election between
 * two replicas, takeover after a graceful stop and after a kill, and convergence after a crash
 * in the middle of a reconcile.
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import {
  CoordinationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  Watch,
  type V1Pod,
} from '@kubernetes/client-node';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { loadConfig } from '../../operator/src/config.ts';
import { workerSpecHash } from '../../operator/src/streamjob/desired-state.ts';
import { resolveStorage } from '../../operator/src/streamjob/storage.ts';
import {
  Jobs,
  createStorageSecret,
  isReady,
  metricValue,
  operatorEnv,
  operatorIdentity,
  spawnOperator,
  waitFor,
  type OperatorProcess,
} from '../harness/operator.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { KubeletStandIn } from '../harness/kubelet-standin.ts';
import { freePort } from '../harness/ports.ts';

// The integration project's testTimeout is not applied per project by jest 30; set it here.
jest.setTimeout(120_000);

const SECRET = 'sluice-storage-credentials';
const TIMING = { SLUICE_LEASE_DURATION: '4s', SLUICE_RENEW_DEADLINE: '3s', SLUICE_RETRY_PERIOD: '500ms' };

describe('operator processes (leader election, crash recovery)', () => {
  let env: TestEnv;
  let core: CoreV1Api;
  let leases: CoordinationV1Api;
  let jobs: Jobs;
  let kubelet: KubeletStandIn;
  let kubeconfig: string;
  const running = new Set<OperatorProcess>();

  /** Starts an operator process and waits until it answers /readyz. */
  async function start(identity: string): Promise<OperatorProcess> {
    const p = await spawnOnly(identity);
    await waitFor(`operator ${identity} to serve /readyz (log ${p.logFile})`, () => isReady(p.url), 30_000);
    return p;
  }

  /** Starts an operator process without waiting for it. */
  async function spawnOnly(identity: string): Promise<OperatorProcess> {
    const port = await freePort();
    const vars = operatorEnv({
      namespace: env.namespace,
      bucket: env.bucket,
      state: env.state,
      secret: SECRET,
      httpPort: port,
      identity,
      leaderElection: true,
      extra: TIMING,
    });
    const p = spawnOperator(
      vars,
      join(env.state.workDir, `operator-${env.namespace}-${identity}.log`),
      kubeconfig,
    );
    running.add(p);
    void p.exited.then(() => running.delete(p));
    return p;
  }

  const holder = async () =>
    (
      await leases
        .readNamespacedLease({ name: 'sluice-operator', namespace: env.namespace })
        .catch(() => undefined)
    )?.spec?.holderIdentity;
  const reconciles = async (p: OperatorProcess) =>
    (await metricValue(p.url, 'controller_runtime_reconcile_total', { controller: 'streamjob' })) ?? 0;
  const podsOf = async (job: string): Promise<V1Pod[]> =>
    (await core.listNamespacedPod({ namespace: env.namespace, labelSelector: `sluice.dev/job=${job}` }))
      .items;

  beforeAll(async () => {
    env = await setupTestEnv('operator-process');
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    leases = env.kubeConfig.makeApiClient(CoordinationV1Api);
    jobs = new Jobs(env.kubeConfig, env.namespace);
    kubelet = new KubeletStandIn(env.kubeConfig, env.namespace);
    await createStorageSecret(env.kubeConfig, env.namespace, SECRET, env.state);
    kubeconfig = await operatorIdentity(env.kubeConfig, env.namespace, env.state, env.state.workDir);
  }, 60_000);

  afterAll(async () => {
    for (const p of running) p.child.kill('SIGKILL');
    await Promise.all([...running].map((p) => p.exited));
    await env?.cleanup();
  }, 60_000);

  it('runs two replicas of which only the leader reconciles; the standby takes over on SIGTERM and on SIGKILL', async () => {
    const a = await start('op-a');
    await waitFor('op-a to lead', async () => (await holder()) === 'op-a');
    const b = await start('op-b');
    expect(await metricValue(a.url, 'leader_election_master_status')).toBe(1);
    expect(await metricValue(b.url, 'leader_election_master_status')).toBe(0);

    await jobs.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'StreamJob',
      metadata: { name: 'elected', namespace: env.namespace },
      spec: { image: 'sluice-runtime:dev', job: { entry: 'wordcount' }, parallelism: 2 },
    });
    await waitFor('pods of elected', async () => (await podsOf('elected')).length === 2);
    await kubelet.markAllReady('sluice.dev/job=elected');
    await waitFor('elected Running', async () => (await jobs.get('elected')).status?.phase === 'Running');
    expect(await reconciles(a)).toBeGreaterThan(0);
    expect(await reconciles(b)).toBe(0);

    // Graceful stop: the leader releases the Lease and exits 0; the standby takes over.
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    await waitFor('op-b to lead', async () => (await holder()) === 'op-b', 15_000);
    await core.deleteNamespacedPod({ name: 'elected-1-0', namespace: env.namespace });
    await waitFor('op-b to reconcile', async () => (await reconciles(b)) > 0);
    // A worker pod gone from a running attempt fails it: op-b starts attempt 2 (failure recovery).
    await waitFor('op-b to replace the attempt', async () =>
      (await podsOf('elected')).some((p) => p.metadata!.name === 'elected-2-0'),
    );
    expect(await metricValue(b.url, 'leader_election_master_status')).toBe(1);

    // Kill without release: a new replica must wait for the Lease to expire, then lead.
    const c = await start('op-c');
    expect(await holder()).toBe('op-b');
    b.child.kill('SIGKILL');
    await b.exited;
    await waitFor('op-c to lead', async () => (await holder()) === 'op-c', 20_000);
    await kubelet.markAllReady('sluice.dev/job=elected');
    await waitFor(
      'elected Running under op-c',
      async () => (await jobs.get('elected')).status?.phase === 'Running',
    );
    expect(await reconciles(c)).toBeGreaterThan(0);
    const lease = await leases.readNamespacedLease({ name: 'sluice-operator', namespace: env.namespace });
    expect(lease.spec!.leaseTransitions).toBeGreaterThanOrEqual(2);
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  }, 120_000);

  it('converges after being killed in the middle of creating workers, without duplicates or churn', async () => {
    const N = 300;
    await jobs.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'StreamJob',
      metadata: { name: 'crashy', namespace: env.namespace },
      spec: { image: 'sluice-runtime:dev', job: { entry: 'wordcount' }, parallelism: N, maxParallelism: 512 },
    });
    // Kill the operator the moment its first pod appears (a watch, not polling, so it is mid-way).
    const target: { process?: OperatorProcess } = {};
    const firstPod = new Promise<void>((resolve, reject) => {
      void new Watch(env.kubeConfig)
        .watch(
          `/api/v1/namespaces/${env.namespace}/pods`,
          { labelSelector: 'sluice.dev/job=crashy' },
          (type) => {
            if (type === 'ADDED') {
              target.process?.child.kill('SIGKILL');
              resolve();
            }
          },
          (err) => (err ? reject(err as Error) : undefined),
        )
        .then((req) => firstPod.finally(() => req.abort()));
    });
    await new Promise((r) => setTimeout(r, 200));
    const d = await spawnOnly('op-d');
    target.process = d;
    await firstPod;
    d.child.kill('SIGKILL');
    await d.exited;
    const leftBehind = (await podsOf('crashy')).length;
    const status = (await jobs.get('crashy')).status;
    // The kill really interrupted the reconcile: the attempt was recorded, the pods were not all there.
    expect(status?.attempt).toBe(1);
    expect(leftBehind).toBeLessThan(N);

    const e = await start('op-e');
    const pods = await waitFor(
      `${N} crashy pods`,
      async () => {
        const p = await podsOf('crashy');
        return p.length === N && p;
      },
      60_000,
    );
    expect(pods.map((p) => p.metadata!.name).sort()).toEqual(
      Array.from({ length: N }, (_, i) => `crashy-1-${i}`).sort(),
    );
    await kubelet.markAllReady('sluice.dev/job=crashy');
    const job = await waitFor('crashy Ready', async () => {
      const j = await jobs.get('crashy');
      return j.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && j;
    });
    expect(job.status).toMatchObject({
      attempt: 1,
      workers: { ready: N, total: N },
      observedGeneration: job.metadata!.generation,
    });

    // A restarted operator leaves a converged job alone: same pods, same attempt.
    const uids = new Set((await podsOf('crashy')).map((p) => p.metadata!.uid));
    e.child.kill('SIGTERM');
    await e.exited;
    const f = await start('op-f');
    await waitFor(
      'op-f to lead and reconcile',
      async () => (await holder()) === 'op-f' && (await reconciles(f)) > 0,
      20_000,
    );
    expect(new Set((await podsOf('crashy')).map((p) => p.metadata!.uid))).toEqual(uids);
    expect((await jobs.get('crashy')).status!.attempt).toBe(1);
    f.child.kill('SIGTERM');
    await f.exited;
  }, 180_000);

  it('finishes a switch of attempts that a crash interrupted after the intent was recorded', async () => {
    // Build the world as a crash leaves it: status already says attempt 2, but attempt 1's
    // pods still run, one attempt-2 pod exists, and the worker Role still names attempt 1.
    const g = await start('op-g');
    await jobs.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'StreamJob',
      metadata: { name: 'switch', namespace: env.namespace },
      spec: { image: 'sluice-runtime:dev', job: { entry: 'wordcount' }, parallelism: 3 },
    });
    await waitFor('attempt 1 pods', async () => (await podsOf('switch')).length === 3);
    await waitFor('attempt 1 recorded', async () => (await jobs.get('switch')).status?.workers?.total === 3);
    g.child.kill('SIGTERM');
    await g.exited;

    const job: StreamJob = await jobs.get('switch');
    const config = loadConfig([], {
      env: operatorEnv({
        namespace: env.namespace,
        bucket: env.bucket,
        state: env.state,
        secret: SECRET,
        httpPort: 0,
        leaderElection: false,
      }),
      hostname: 'test',
    });
    const resolved = resolveStorage(job, config.storage);
    if (!resolved.ok) throw new Error(resolved.message);
    const hash = workerSpecHash(job, resolved.storage, config.worker);
    expect(job.status!.attemptSpecHash).toBe(hash);
    await jobs.jsonPatchStatus('switch', [
      { op: 'replace', path: '/status/attempt', value: 2 },
      { op: 'replace', path: '/status/attemptReason', value: 'RestartRequested' },
    ]);
    const template = (await podsOf('switch')).find((p) => p.metadata!.name === 'switch-1-0')!;
    await core.createNamespacedPod({
      namespace: env.namespace,
      body: {
        metadata: {
          name: 'switch-2-0',
          labels: { ...template.metadata!.labels, 'sluice.dev/attempt': '2' },
          annotations: template.metadata!.annotations,
          ownerReferences: template.metadata!.ownerReferences,
        },
        spec: { ...template.spec!, hostname: 'switch-2-0', nodeName: undefined },
      },
    });

    await start('op-h');
    await waitFor(
      'only attempt 2 pods',
      async () =>
        (await podsOf('switch'))
          .map((p) => p.metadata!.name)
          .sort()
          .join() === 'switch-2-0,switch-2-1,switch-2-2',
      30_000,
    );
    const role = await env.kubeConfig
      .makeApiClient(RbacAuthorizationV1Api)
      .readNamespacedRole({ name: 'switch-worker', namespace: env.namespace });
    expect(role.rules![0]!.resourceNames).toEqual(['switch-2-0', 'switch-2-1', 'switch-2-2']);
    const after = await jobs.get('switch');
    expect(after.status).toMatchObject({ attempt: 2, phase: 'Restarting', workers: { ready: 0, total: 3 } });
  }, 120_000);
});
