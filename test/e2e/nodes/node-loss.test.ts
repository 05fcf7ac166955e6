/**
 * A lost node on a multi-node kind cluster (`make e2e-nodes`: a control plane and two worker
 * nodes, hack/kind-up.sh with SLUICE_KIND_WORKERS=2). docs/checkpointing.md "Lost nodes and
 * fencing".
 *
 * The operator and the dev MinIO are pinned to the control plane; a bounded wordcount at
 * parallelism 4 spreads over the two worker nodes. Mid-stream one worker node's container is
 * paused (`docker pause`: every process on it frozen, its kubelet silent — a partition). The job
 * must run again on the remaining node within 60 s, with the default restart backoff. The node
 * is then unpaused: its frozen workers of the old attempt wake up as zombies until their kubelet
 * finds their pods deleted. The committed output must equal the reference exactly once.
 */
import { jest } from '@jest/globals';
import { expectExactlyOnce } from '../../harness/wordcount-reference.ts';
import {
  createRestrictedNamespace,
  installChart,
  kubectl,
  must,
  pinToControlPlane,
  requireCluster,
  waitNodeReady,
  workerNodes,
} from '../cluster.ts';
import {
  applyManifest,
  corpusWordcount,
  defaultBucket,
  getJob,
  jobEvents,
  jobPods,
  readCommittedWordcounts,
  waitCheckpoint,
  waitJob,
  waitReady,
} from '../streamjob-helpers.ts';
import { type Corpus, uploadCorpus } from '../wordcount-corpus.ts';

jest.setTimeout(900_000);

const ns = `sluice-e2e-node-${Date.now().toString(36)}`;
const name = 'wc-node';
const outputPrefix = `outputs/${ns}/${name}/`;
let corpus: Corpus;
let workers: string[];
let paused: string | undefined;

beforeAll(async () => {
  await requireCluster();
  workers = await workerNodes();
  if (workers.length < 2) {
    throw new Error(
      `this test needs a cluster with two worker nodes (found ${workers.length}): run 'make e2e-nodes'`,
    );
  }
  // Keep the operator and the dev MinIO off the node that is lost.
  await installChart([...pinToControlPlane('operator'), ...pinToControlPlane('minio')]);
  await createRestrictedNamespace(ns);
  const bucket = await defaultBucket();
  // 8 × 500 lines, 2 objects per worker at 25 lines/s: about 40 s of input.
  corpus = await uploadCorpus(bucket, `inputs/${ns}/${name}/`, 8, 500, 23);
  // The default restart backoff (5 s), as a user runs it.
  await applyManifest(
    ns,
    corpusWordcount(name, corpus, { parallelism: 4, rate: 25, outputPrefix, backoffSeconds: 5 }),
  );
});

afterAll(async () => {
  if (paused) await must('docker', ['unpause', paused]).catch(() => undefined);
  if (process.env.SLUICE_E2E_KEEP_NAMESPACE === '1') return;
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('a job spread over two worker nodes, one of which is lost', () => {
  it('spreads the workers over both worker nodes', async () => {
    const { pods } = await waitReady(ns, name, 300_000);
    const placed = pods.map((p) => p.spec.nodeName);
    expect(new Set(placed)).toEqual(new Set(workers.slice(0, 2)));
    expect(placed.filter((n) => n === placed[0])).toHaveLength(2);
  });

  it('runs again on the remaining node within 60 s of the loss, and the output is exactly once', async () => {
    const first = (await waitCheckpoint(ns, name, 0, 120_000)).id;
    const before = await jobPods(ns, name);
    const lost = (before.find((p) => p.metadata.name === `${name}-1-1`)!.spec as { nodeName: string })
      .nodeName;
    const remaining = workers.find((w) => w !== lost)!;

    await must('docker', ['pause', lost]);
    paused = lost;
    const lostAt = Date.now();
    const { pods } = await waitReady(ns, name, 90_000, (j) => (j.status?.attempt ?? 0) >= 2);
    const resumedMs = Date.now() - lostAt;
    console.log(`node ${lost} paused: job Ready again in attempt 2 after ${resumedMs} ms`);
    expect(resumedMs).toBeLessThan(60_000);
    expect(pods.map((p) => p.spec.nodeName)).toEqual([remaining, remaining, remaining, remaining]);
    const job = await getJob(ns, name);
    expect(job.status?.restoredFrom?.id).toBeGreaterThanOrEqual(first);
    const events = await jobEvents(ns, name);
    const forced = events.find((e) => e.reason === 'WorkerPodsForceDeleted');
    expect(forced?.note).toContain(`node ${lost} is lost`);

    // The node comes back with its old workers frozen mid-attempt: zombies until their kubelet
    // catches up with the deleted pods.
    await must('docker', ['unpause', lost]);
    paused = undefined;
    await waitNodeReady(lost, 180_000);

    await waitJob(ns, name, 'Finished', (j) => j.status?.phase === 'Finished', 300_000);
    const records = await readCommittedWordcounts(corpus.bucket, outputPrefix);
    expectExactlyOnce(records, corpus.expected);
  });
});
