/**
 * Worker health on a real cluster, with a bounded wordcount over a corpus in the dev MinIO
 * (4 objects, read at a fixed rate by 2 workers) whose committed output is compared with the
 * reference count at the end — every input word counted exactly once:
 *
 * - readiness comes from the runtime: a worker frozen in place (cgroup freezer through the
 *   node's containerd) keeps a running container but turns not Ready once its /readyz stops
 *   answering, and Ready again when thawed, without a restart of the attempt;
 * - a worker CONTAINER killed (SIGKILL through the node's containerd; the pod object is left
 *   alone): worker pods run with restartPolicy Never, so the kubelet does not restart the
 *   container in place — the pod fails with exit code 137 and the operator replaces the attempt,
 *   restoring the last completed checkpoint;
 * - the job then finishes, and the committed output equals the reference.
 */
import { jest } from '@jest/globals';
import { expectExactlyOnce } from '../harness/wordcount-reference.ts';
import {
  containerIdOf,
  createRestrictedNamespace,
  installChart,
  kubectl,
  kubectlLines,
  killContainer,
  pauseContainer,
  requireCluster,
  resumeContainer,
  waitFor,
} from './cluster.ts';
import {
  applyManifest,
  committedParts,
  condition,
  corpusWordcount,
  defaultBucket,
  getJob,
  isPodReady,
  jobEvents,
  jobPods,
  readCommittedWordcounts,
  waitCheckpoint,
  waitJob,
  waitReady,
  waitRestoredLogs,
  type Pod,
} from './streamjob-helpers.ts';
import { type Corpus, uploadCorpus } from './wordcount-corpus.ts';

jest.setTimeout(600_000);

const ns = `sluice-e2e-wf-${Date.now().toString(36)}`;
const name = 'wc-kill';
const outputPrefix = `outputs/${ns}/${name}/`;
let corpus: Corpus;

beforeAll(async () => {
  await requireCluster();
  await installChart();
  await createRestrictedNamespace(ns);
  const bucket = await defaultBucket();
  // 4 × 700 lines, 2 per worker at 35 lines/s: about 40 s of input.
  corpus = await uploadCorpus(bucket, `inputs/${ns}/${name}/`, 4, 700, 7);
  await applyManifest(ns, corpusWordcount(name, corpus, { parallelism: 2, rate: 35, outputPrefix }));
});

afterAll(async () => {
  if (process.env.SLUICE_E2E_KEEP_NAMESPACE === '1') return;
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

const podOf = async (podName: string): Promise<Pod | undefined> =>
  (await jobPods(ns, name)).find((p) => p.metadata.name === podName);

describe('a bounded wordcount whose workers are frozen and killed', () => {
  it('has workers that are Ready only while the runtime answers /readyz', async () => {
    const { pods } = await waitReady(ns, name, 180_000);
    for (const p of pods) {
      expect(p.spec.restartPolicy).toBe('Never');
      expect(p.spec.containers[0]?.readinessProbe).toMatchObject({
        httpGet: { path: '/readyz', port: 'health' },
      });
    }
    const victim = `${name}-1-1`;
    const id = containerIdOf((await podOf(victim))!);
    await pauseContainer(id);
    try {
      const frozen = await waitFor(
        `${victim} not Ready while its container runs (frozen)`,
        async () => {
          const p = await podOf(victim);
          const cs = p?.status.containerStatuses?.[0];
          return p && !isPodReady(p) && cs?.state?.running && cs.ready === false
            ? { done: true, value: p }
            : { done: false, observed: JSON.stringify(p?.status.conditions) };
        },
        30_000,
        500,
      );
      expect(frozen.status.containerStatuses?.[0]?.restartCount).toBe(0);
      // The job's status follows the pod's on the operator's next reconcile, not at once.
      const ready = await waitFor(
        `${name} status.workers.ready below 2 while ${victim} is frozen`,
        async () => {
          const n = (await getJob(ns, name)).status?.workers?.ready ?? 0;
          return n < 2 ? { done: true, value: n } : { done: false, observed: `ready ${n}` };
        },
        30_000,
        500,
      );
      expect(ready).toBeLessThan(2);
    } finally {
      await resumeContainer(id);
    }
    // Thawed: Ready again in the same attempt, nothing restarted.
    const { job } = await waitReady(ns, name, 60_000);
    expect(job.status).toMatchObject({ attempt: 1 });
    expect(job.status?.restarts ?? 0).toBe(0);
  });

  it('replaces the attempt from the last checkpoint when a worker container is killed', async () => {
    const last = await waitCheckpoint(ns, name, 0, 60_000);
    const { job: before } = await waitReady(ns, name, 60_000);
    const attempt = before.status?.attempt ?? 0;
    const victim = `${name}-${attempt}-1`;
    // Every status the victim pod goes through until the operator deleted it.
    const watch = kubectlLines([
      '-n',
      ns,
      'get',
      'pod',
      victim,
      '--watch',
      '-o',
      'jsonpath={.status.phase}|{.status.containerStatuses[0].restartCount}|{.status.containerStatuses[0].state.terminated.exitCode}{"\\n"}',
    ]);
    const killedAt = Date.now();
    await killContainer(containerIdOf((await podOf(victim))!));

    const { job, pods } = await waitReady(
      ns,
      name,
      180_000,
      (j) => (j.status?.attempt ?? 0) > attempt && (j.status?.restarts ?? 0) === 1,
    );
    const recoveredMs = Date.now() - killedAt;
    expect(job.status?.attemptReason).toBe('WorkerFailed');
    expect(condition(job, 'Degraded')?.status).toBe('False');
    expect(job.status?.restoredFrom?.kind).toBe('checkpoint');
    expect(job.status?.restoredFrom?.id ?? 0).toBeGreaterThanOrEqual(last.id);
    // restartPolicy Never: the kubelet did not restart the killed container in place; the pod
    // failed with the SIGKILL's exit code 137 (the operator may have acted on the peer's exit
    // first: it loses its shuffle connection and fails too).
    const states = await waitFor(
      `the terminal status of ${victim}`,
      async () => {
        const r = await kubectl(['-n', ns, 'get', 'pod', victim]);
        return r.code !== 0 && /NotFound/.test(r.stderr)
          ? { done: true, value: await watch.stop() }
          : { done: false, observed: 'the pod still exists' };
      },
      120_000,
      1000,
    ).finally(() => watch.stop());
    expect(states).toContain('Failed|0|137');
    expect(states.some((l) => !l.startsWith('Running|0|') && !l.startsWith('Failed|0|'))).toBe(false);
    const events = await jobEvents(ns, name);
    const failed = events.filter((e) => e.reason === 'WorkerFailed' && e.type === 'Warning');
    expect(failed.map((e) => e.note).join('\n')).toMatch(new RegExp(`${name}-${attempt}-[01]\\b`));
    await waitRestoredLogs(ns, pods, job.status?.restoredFrom?.id ?? -1);
    console.log(
      `container kill → Ready in attempt ${job.status?.attempt} after ${(recoveredMs / 1000).toFixed(1)} s ` +
        `(restored checkpoint ${job.status?.restoredFrom?.id}; the last before the kill: ${last.id})`,
    );
  });

  it('finishes, and its committed output counts every input word exactly once', async () => {
    const done = await waitJob(ns, name, 'phase Finished', (j) => j.status?.phase === 'Finished', 240_000);
    expect(done.status?.restarts).toBe(1);
    const parts = await committedParts(corpus.bucket, outputPrefix);
    const attempts = new Set(parts.map((k) => /^part-.+-a(\d+)-s\d+-/.exec(k)?.[1]));
    expect([...attempts].sort()).toEqual(['1', '2']);
    const records = await readCommittedWordcounts(corpus.bucket, outputPrefix);
    expectExactlyOnce(records, corpus.expected);
    const pods = await jobPods(ns, name);
    expect(pods.map((p) => `${p.metadata.name}:${p.status.phase}`).sort()).toEqual(
      [0, 1].map((i) => `${name}-2-${i}:Succeeded`),
    );
  });
});
