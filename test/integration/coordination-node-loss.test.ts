/**
 * A lost node, end to end on the real API server (docs/checkpointing.md "Lost nodes and
 * fencing"): two simulated nodes (real Node objects and kubelet heartbeat Leases, simulated-nodes.ts),
 * a bounded wordcount at parallelism 2 spread over them with real worker processes (process
 * kubelet), exactly-once S3 output. One node stops its heartbeat after a checkpoint completed and
 * its worker is frozen (a partition: the process lives on, nobody can reach it). The operator
 * must fail that worker, start the next attempt from the last completed checkpoint, force-delete
 * the pod whose kubelet cannot confirm its deletion, and keep the new pods off the lost node.
 * The node then comes back with its zombie worker still running for a while; the committed
 * output must still count the corpus exactly once.
 */
import { jest } from '@jest/globals';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { eventsWith, waitFor, type InProcessOperator } from '../harness/operator.ts';
import {
  corpusWordcountJob,
  expectCorpusCountedOnce,
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  waitFinished,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import { SimulatedNodes } from '../harness/simulated-nodes.ts';

jest.setTimeout(180_000);

describe('lost node (operator + real workers on simulated nodes)', () => {
  let f: WordcountFixture | undefined;
  let nodes: SimulatedNodes | undefined;
  let operator: InProcessOperator | undefined;

  beforeAll(async () => {
    f = await startWordcountFixture('coordination-node', 17, async (env) => {
      nodes = new SimulatedNodes(env.kubeConfig, `${env.namespace}-node`, 2, 500);
      await nodes.start();
      return nodes;
    });
    // A heartbeat 5 s old is lost: ten missed renewals here (kubelets renew every 10 s; the default grace is 20 s).
    operator = await startFixtureOperator(f, { SLUICE_NODE_LEASE_GRACE: '5s' });
  });

  afterAll(async () => {
    await stopWordcountFixture(f, operator);
    await nodes?.stop();
  });

  it('replaces the attempt, force-deletes the lost pod, avoids the node, and the output is exactly once', async () => {
    const fx = f!;
    const core = fx.env.kubeConfig.makeApiClient(CoreV1Api);
    const ns = fx.env.namespace;
    const pods = async () =>
      (await core.listNamespacedPod({ namespace: ns, labelSelector: 'sluice.dev/job=wc' })).items;
    const nodeOf = (list: V1Pod[]) => (pod: string) =>
      list.find((p) => p.metadata?.name === pod)?.spec?.nodeName;

    // 1200 lines at 30 lines/s per worker: about 20 s of input.
    await fx.jobs.create(
      corpusWordcountJob('wc', {
        output: 'out/',
        rate: 30,
        spec: {
          restartPolicy: {
            maxRestarts: 3,
            backoffSeconds: 1,
            maxBackoffSeconds: 10,
            notReadyTimeoutSeconds: 120,
          },
        },
      }),
    );
    const first = await waitFor('a completed checkpoint in attempt 1', async () => {
      const j = await fx.jobs.get('wc');
      return j.status?.attempt === 1 && (j.status.checkpoints?.lastCompleted?.id ?? 0) >= 1 && j;
    });
    const before = await pods();
    // The default spread put one worker on each node.
    expect(new Set(before.map((p) => p.spec?.nodeName)).size).toBe(2);
    const lostNode = before.find((p) => p.metadata?.name === 'wc-1-1')!.spec!.nodeName!;
    const otherNode = nodes!.names.find((n) => n !== lostNode)!;

    const lostAt = Date.now();
    fx.kubelet.loseNode(lostNode, nodeOf(before));

    const second = await waitFor(
      'attempt 2 after the node loss',
      async () => {
        const j = await fx.jobs.get('wc');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    const detectedMs = Date.now() - lostAt;
    expect(second.status).toMatchObject({ attemptReason: 'WorkerFailed', restarts: 1 });
    expect(second.status!.restoredFrom!.id).toBeGreaterThanOrEqual(
      first.status!.checkpoints!.lastCompleted!.id,
    );

    // The pod whose kubelet is gone is force-deleted, though its (frozen) process still lives.
    await waitFor(
      'wc-1-1 gone from the API',
      async () => !(await pods()).some((p) => p.metadata?.name === 'wc-1-1'),
    );
    expect(fx.kubelet.runningPods()).toContain('wc-1-1');
    const events = await eventsWith(fx.env.kubeConfig, ns, 'wc', ['WorkerPodsForceDeleted']);
    const forced = events.find((e) => e.reason === 'WorkerPodsForceDeleted')!;
    expect(forced.type).toBe('Warning');
    expect(forced.note).toContain(`node ${lostNode} is lost`);
    expect(forced.note).toContain('wc-1-1');

    // The new attempt runs on the remaining node only, kept off the lost one by node affinity.
    const ready = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const after = await waitFor('both workers of attempt 2 ready', async () => {
      const list = (await pods()).filter((p) => p.metadata?.labels?.['sluice.dev/attempt'] === '2');
      return list.length === 2 && list.every(ready) && list;
    });
    expect(after.map((p) => p.spec?.nodeName)).toEqual([otherNode, otherNode]);
    for (const p of after) {
      expect(
        p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
      ).toEqual([
        { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: [lostNode] }] },
      ]);
    }

    // The node comes back: its zombie worker of attempt 1 runs again until its kubelet, which finds
    // the pod deleted, stops it. Nothing it does may reach the output.
    fx.kubelet.restoreNode(lostNode, nodeOf(before));
    await waitFor(
      'the zombie stopped by its kubelet',
      async () => !fx.kubelet.runningPods().includes('wc-1-1'),
    );

    const finished = await waitFinished(fx, 'wc', 120_000);
    // One restart: the healthy node was never taken for lost, nor the zombie for a new failure.
    expect(finished.status).toMatchObject({ attempt: 2, restarts: 1 });
    await expectCorpusCountedOnce(fx, 'out/');
    // For the record (not a timing assertion): loss → next attempt written.
    console.log(`lost node ${lostNode}: attempt 2 written ${detectedMs} ms after the heartbeat stopped`);
  });
});
