/**
 * One tenant's storage endpoint that accepts connections and never answers must not stall the
 * others (docs/operator.md "Timeouts"). Four jobs in one namespace point spec.storage at a
 * loopback black hole; their workers fail (the kubelet stand-in reports it), so failure
 * recovery reads their storage — and hangs there without the operator's S3 and reconcile
 * deadlines, holding all four reconcile workers. Beside them three wordcount jobs in another
 * namespace run real workers (process kubelet) on the harness MinIO: their checkpoints must
 * keep completing every second or so. (Three healthy jobs, not fifty: the machine is shared.)
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
} from '../../operator/src/testing/integration.ts';
import {
  STORAGE_SECRET,
  corpusWordcountJob,
  startWordcountFixture,
  stopWordcountFixture,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { KubeletStandIn } from '../harness/kubelet-standin.ts';
import { blackHole, type BlackHole } from '../harness/black-hole.ts';

jest.setTimeout(240_000);

const HEALTHY = ['h1', 'h2', 'h3'];
const BLACK_HOLES = ['bh1', 'bh2', 'bh3', 'bh4'];

describe('a black-hole storage endpoint beside healthy jobs (in-process operator)', () => {
  let f: WordcountFixture;
  let other: TestEnv;
  let operator: InProcessOperator;
  let hole: BlackHole;

  beforeAll(async () => {
    f = await startWordcountFixture('isolation-blackhole', 31);
    other = await setupTestEnv('isolation-blackhole-tenant');
    await createStorageSecret(other.kubeConfig, other.namespace, STORAGE_SECRET, other.state);
    hole = await blackHole();
    operator = await startInProcessOperator({
      kubeConfig: f.env.kubeConfig,
      namespace: f.env.namespace,
      bucket: f.env.bucket,
      state: f.env.state,
      secret: STORAGE_SECRET,
      logFile: join(f.env.state.workDir, `operator-${f.env.namespace}.log`),
      extraEnv: {
        SLUICE_WATCH_NAMESPACES: `${f.env.namespace},${other.namespace}`,
        SLUICE_STORAGE_TIMEOUT: '2s',
        SLUICE_RECONCILE_TIMEOUT: '10s',
      },
    });
  });

  afterAll(async () => {
    await stopWordcountFixture(f, operator);
    await other?.cleanup();
    await hole?.close();
  });

  it("keeps completing the healthy jobs' checkpoints while four jobs' storage never answers", async () => {
    for (const name of HEALTHY) {
      await f.jobs.create(
        corpusWordcountJob(name, { output: `${name}-out/`, rate: 20, spec: { parallelism: 1 } }),
      );
    }
    const lastCompleted = async (name: string) =>
      (await f.jobs.get(name)).status?.checkpoints?.lastCompleted?.id ?? 0;
    for (const name of HEALTHY) {
      await waitFor(
        `${name} completes a checkpoint`,
        async () => (await lastCompleted(name)) >= 1,
        90_000,
        500,
      );
    }

    // The black-hole tenant: its workers fail, so failure recovery reads its storage.
    const tenantJobs = new Jobs(other.kubeConfig, other.namespace);
    const standIn = new KubeletStandIn(other.kubeConfig, other.namespace);
    const core = other.kubeConfig.makeApiClient(CoreV1Api);
    for (const name of BLACK_HOLES) {
      await tenantJobs.create({
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'StreamJob',
        metadata: { name, namespace: other.namespace },
        spec: {
          image: 'sluice-runtime:dev',
          job: { entry: 'wordcount' },
          storage: { endpoint: hole.url, bucket: 'sink', credentialsSecret: { name: STORAGE_SECRET } },
          restartPolicy: { backoffSeconds: 0 },
        },
      });
    }
    for (const name of BLACK_HOLES) {
      await waitFor(`${name}-1-0 created`, async () => {
        await core.readNamespacedPod({ name: `${name}-1-0`, namespace: other.namespace });
        return true;
      });
      await standIn.markTerminated(`${name}-1-0`, 1, 'worker crashed');
    }
    // Failure recovery has reached the black hole: connections are open and unanswered.
    await waitFor('connections to the black hole', () => hole.sockets.size >= 1, 30_000, 200);

    const before = await Promise.all(HEALTHY.map(lastCompleted));
    await new Promise((r) => setTimeout(r, 20_000));
    const after = await Promise.all(HEALTHY.map(lastCompleted));
    // Checkpoints every second: at least 5 more in 20 s for each healthy job.
    for (let i = 0; i < HEALTHY.length; i++) expect(after[i]! - before[i]!).toBeGreaterThanOrEqual(5);
    // The black-hole jobs are not recovered: their storage cannot be read.
    const stuck = await tenantJobs.get('bh1');
    expect(stuck.status?.attempt).toBe(1);
  });
});
