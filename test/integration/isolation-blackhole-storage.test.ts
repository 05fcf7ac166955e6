/**
 * One tenant's storage endpoint that accepts connections and never answers must not stall the
 * others (docs/operator.md "Timeouts"). Four jobs in one namespace point spec.storage at a
 * loopback black hole; their workers fail (the kubelet stand-in reports it), so failure
 * recovery reads their storage — and hangs there without the operator's S3 and reconcile
 * deadlines, holding all four reconcile workers. Beside them three wordcount jobs in another
 * namespace run real workers (process kubelet) on the harness MinIO: their checkpoints must
 * keep completing every second or so. Beside those, 47 more healthy jobs in a third namespace
 * (50 in all) whose workers are stand-ins (bench/operator-scale/observers.ts PodAgent: pods
 * marked Ready, checkpoint requests acked through the real API server, no state uploaded —
 * 47 worker processes would not fit the 2-core machine next to the rest of the suite),
 * checkpointing every 5 s. Measured against a baseline window taken before the black holes
 * exist (the machine is shared with the rest of the suite, so absolute rates vary): no healthy
 * job may stall, and together they keep at least half the baseline pace.
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
import { PodAgent } from '../../bench/operator-scale/observers.ts';
import { StreamJobClient } from '../../operator/src/streamjob/streamjob-client.ts';

jest.setTimeout(360_000);

const HEALTHY = ['h1', 'h2', 'h3'];
/** Healthy jobs with stand-in workers: 50 healthy jobs in all. */
const STAND_IN = Array.from({ length: 47 }, (_, i) => `s${i + 1}`);
const BLACK_HOLES = ['bh1', 'bh2', 'bh3', 'bh4'];

describe('a black-hole storage endpoint beside healthy jobs (in-process operator)', () => {
  let f: WordcountFixture;
  let other: TestEnv;
  let operator: InProcessOperator;
  let hole: BlackHole;
  let scale: TestEnv;
  let agent: PodAgent;

  beforeAll(async () => {
    f = await startWordcountFixture('isolation-blackhole', 31);
    other = await setupTestEnv('isolation-blackhole-tenant');
    scale = await setupTestEnv('isolation-blackhole-scale');
    agent = new PodAgent(scale.kubeConfig, scale.namespace);
    await agent.start();
    agent.setAcking(true);
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
        SLUICE_WATCH_NAMESPACES: `${f.env.namespace},${other.namespace},${scale.namespace}`,
        SLUICE_STORAGE_TIMEOUT: '2s',
        SLUICE_RECONCILE_TIMEOUT: '10s',
      },
    });
  });

  afterAll(async () => {
    await stopWordcountFixture(f, operator);
    agent?.stop();
    await other?.cleanup();
    await scale?.cleanup();
    await hole?.close();
  });

  it("keeps completing 50 healthy jobs' checkpoints while four jobs' storage never answers", async () => {
    const scaleJobs = new Jobs(scale.kubeConfig, scale.namespace);
    for (const name of STAND_IN) {
      await scaleJobs.create({
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'StreamJob',
        metadata: { name, namespace: scale.namespace },
        spec: {
          image: 'sluice-runtime:dev',
          job: { entry: 'wordcount' },
          parallelism: 1,
          checkpoint: { intervalSeconds: 5, timeoutSeconds: 30 },
        },
      });
    }
    const lastCompleted = async (name: string) =>
      (await f.jobs.get(name)).status?.checkpoints?.lastCompleted?.id ?? 0;
    const standInCompleted = async () =>
      new Map(
        (await new StreamJobClient(scale.kubeConfig).list(scale.namespace)).items.map((j) => [
          j.metadata!.name!,
          j.status?.checkpoints?.lastCompleted?.id ?? 0,
        ]),
      );
    await waitFor(
      'every stand-in job completes a checkpoint',
      async () => [...(await standInCompleted()).values()].filter((id) => id >= 1).length === STAND_IN.length,
      120_000,
      1000,
    );
    // Created after the stand-ins: 1200 lines at 5 lines/s last through the measurement.
    for (const name of HEALTHY) {
      await f.jobs.create(
        corpusWordcountJob(name, { output: `${name}-out/`, rate: 5, spec: { parallelism: 1 } }),
      );
    }
    for (const name of HEALTHY) {
      await waitFor(
        `${name} completes a checkpoint`,
        async () => (await lastCompleted(name)) >= 1,
        90_000,
        500,
      );
    }

    // Checkpoints completed per healthy job in a 30 s window: before the black holes, the
    // baseline of this (shared, loaded) machine; after, what they leave of it.
    const window = async (): Promise<number[]> => {
      const b0 = await Promise.all(HEALTHY.map(lastCompleted));
      const s0 = await standInCompleted();
      await new Promise((r) => setTimeout(r, 30_000));
      const b1 = await Promise.all(HEALTHY.map(lastCompleted));
      const s1 = await standInCompleted();
      return [...b1.map((x, i) => x - b0[i]!), ...STAND_IN.map((n) => (s1.get(n) ?? 0) - (s0.get(n) ?? 0))];
    };
    const baseline = await window();

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

    const during = await window();
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    // No healthy job stalls, and together they keep at least half the baseline pace.
    const stalled = [...HEALTHY, ...STAND_IN].filter((_, i) => during[i]! < 1);
    expect(stalled).toEqual([]);
    expect(sum(during)).toBeGreaterThanOrEqual(sum(baseline) / 2);
    // The black-hole jobs are not recovered: their storage cannot be read.
    const stuck = await tenantJobs.get('bh1');
    expect(stuck.status?.attempt).toBe(1);
  });
});
