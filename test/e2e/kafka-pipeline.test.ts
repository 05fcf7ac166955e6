/**
 * The Kafka pipeline on a real cluster, against the chart's dev broker (kafka.enabled,
 * sluice-kafka:dev), as `make demo` runs it but bounded, so the expected output is computable:
 *
 * - a loader StreamJob (built-in `wordcount-lines`, a bounded generator of the synthetic corpus)
 *   writes every line to the input topic exactly once; the topic, read with read_committed,
 *   holds exactly the generated lines;
 * - a reading StreamJob (built-in `wordcount`, Kafka source bounded at the topic's end, a fixed
 *   rate per worker so reading takes about 40 s) writes `{word, count}` to the output topic with
 *   the exactly-once sink; one of its worker pods is deleted mid-stream, the operator replaces the
 *   attempt from the last checkpoint, the job finishes, and the output topic read with
 *   read_committed equals the reference count of the generated lines — nothing lost, nothing twice.
 *
 * Topics are created and read from short-lived pods (hack/kafka/in-cluster.ts): the broker
 * advertises its Service name, which resolves only in the cluster. Topic names carry the test
 * namespace, so reruns against the same broker do not mix.
 */
import { jest } from '@jest/globals';
import { createTopic, readTopic, type InClusterOptions } from '../../hack/kafka/in-cluster.ts';
import { syntheticLine } from '../../runtime-image/src/jobs/wordcount.ts';
import { expectExactlyOnce, reference } from '../harness/wordcount-reference.ts';
import {
  createRestrictedNamespace,
  installChart,
  kafkaBootstrap,
  kubeconfig,
  kubectl,
  kubectlOk,
  kubectlPath,
  requireCluster,
  runtimeImage,
} from './cluster.ts';
import { applyManifest, jobPods, waitCheckpoint, waitJob, waitReady } from './streamjob-helpers.ts';

jest.setTimeout(900_000);

const ns = `sluice-e2e-kafka-${Date.now().toString(36)}`;
const linesTopic = `${ns}-lines`;
const countsTopic = `${ns}-counts`;
const corpus = { lines: 2400, vocabulary: 60, wordsPerLine: 4, seed: 11, partitions: 4 };
const generated = Array.from({ length: corpus.lines }, (_, n) =>
  syntheticLine(corpus.seed, n, corpus.vocabulary, corpus.wordsPerLine),
);
let k: InClusterOptions;

/** A StreamJob of a built-in job with short checkpoints and small CPU requests (a 2-core node). */
function streamJob(name: string, entry: string, config: Record<string, unknown>, parallelism: number) {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { name },
    spec: {
      image: runtimeImage,
      job: { entry, config },
      parallelism,
      maxParallelism: 128,
      upgradeMode: 'savepoint',
      checkpoint: { intervalSeconds: 3, timeoutSeconds: 60, retained: 3 },
      restartPolicy: { maxRestarts: 10, backoffSeconds: 1 },
      podTemplate: {
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      },
    },
  };
}

beforeAll(async () => {
  await requireCluster();
  await installChart([], { kafka: true });
  await createRestrictedNamespace(ns);
  k = { kubeconfig, kubectl: kubectlPath(), namespace: ns, bootstrap: kafkaBootstrap };
  await createTopic(k, linesTopic, 4);
  await createTopic(k, countsTopic, 2);
});

afterAll(async () => {
  if (process.env.SLUICE_E2E_KEEP_NAMESPACE === '1') return;
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('a Kafka pipeline on the dev broker: generator → topic → wordcount → topic', () => {
  it('loads the bounded corpus into the input topic exactly once', async () => {
    await applyManifest(
      ns,
      streamJob(
        'kafka-load',
        'wordcount-lines',
        {
          input: { generator: { ...corpus, rate: 400 } },
          output: { kafka: { bootstrapServers: [kafkaBootstrap], topic: linesTopic, format: 'text' } },
        },
        1,
      ),
    );
    await waitJob(ns, 'kafka-load', 'phase Finished', (j) => j.status?.phase === 'Finished', 300_000);
    const got = await readTopic(k, linesTopic);
    expect(got.records.map((r) => r.value).sort()).toEqual([...generated].sort());
  });

  it('counts the topic into the output topic exactly once although a worker pod is deleted mid-stream', async () => {
    const name = 'kafka-wc';
    await applyManifest(
      ns,
      streamJob(
        name,
        'wordcount',
        {
          // 2400 lines at 2 × 30 lines/s: about 40 s of input, stopping at the end offsets of
          // the first assignment (kept in the checkpoints, so the restored attempt stops there too).
          input: {
            kafka: { bootstrapServers: [kafkaBootstrap], topics: [linesTopic], bounded: 'latest', rate: 30 },
          },
          output: { kafka: { bootstrapServers: [kafkaBootstrap], topic: countsTopic, keyField: 'word' } },
        },
        2,
      ),
    );
    const last = await waitCheckpoint(ns, name, 0, 180_000);
    const { job: before } = await waitReady(ns, name, 120_000);
    expect(before.status?.phase).not.toBe('Finished');
    const attempt = before.status?.attempt ?? 0;
    const victim = `${name}-${attempt}-1`;
    const deletedAt = Date.now();
    await kubectlOk(['-n', ns, 'delete', 'pod', victim, '--wait=false']);

    const { job } = await waitReady(ns, name, 240_000, (j) => (j.status?.attempt ?? 0) > attempt);
    expect(job.status?.restoredFrom?.kind).toBe('checkpoint');
    expect(job.status?.restoredFrom?.id ?? 0).toBeGreaterThanOrEqual(last.id);
    console.log(
      `worker pod ${victim} deleted → attempt ${job.status?.attempt} Ready after ${((Date.now() - deletedAt) / 1000).toFixed(1)} s ` +
        `(restored checkpoint ${job.status?.restoredFrom?.id}; the last before: ${last.id})`,
    );

    const done = await waitJob(ns, name, 'phase Finished', (j) => j.status?.phase === 'Finished', 300_000);
    expect(done.status?.restarts ?? 0).toBeGreaterThanOrEqual(1);
    const pods = await jobPods(ns, name);
    expect(pods.every((p) => p.status.phase === 'Succeeded')).toBe(true);

    const out = await readTopic(k, countsTopic);
    const records = out.records.map((r) => {
      const v = JSON.parse(r.value ?? 'null') as { word: string; count: number };
      expect(r.key).toBe(v.word);
      return v;
    });
    expectExactlyOnce(records, reference(generated));
  });
});
