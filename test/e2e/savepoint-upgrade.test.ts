/**
 * Savepoints and upgrades on a real cluster, with one bounded wordcount (`upgradeMode:
 * savepoint`) over a corpus in the dev MinIO whose committed output is compared with the
 * reference count at the end — every input word counted exactly once across four attempts:
 *
 * - a savepoint requested with `kubectl annotate sj … sluice.dev/savepoint=<nonce>`: status
 *   records it with that nonce, its `_metadata` and state files are in MinIO, the job keeps
 *   running in the same attempt;
 * - `kubectl patch` parallelism 2 → 3: a stop-with-savepoint, then a SpecChanged attempt that
 *   restores it at parallelism 3;
 * - a second upgrade (job config: a higher input rate, parallelism back to 2) while the
 *   operator crashes: once status.upgrade shows stage Savepointing, the operator container is
 *   SIGKILLed through the node's containerd and its pod force-deleted (`--grace-period=0
 *   --force`), so the Lease is not released and the new operator pod must wait for it to
 *   expire. The workers are frozen (cgroup freezer) from before the spec change until the
 *   operator is gone, so the crash is certain to hit the upgrade before the savepoint completed.
 *   The new operator finishes the upgrade from the status it finds;
 * - the job finishes, and the committed output equals the reference.
 */
import { jest } from '@jest/globals';
import { ANN_REQUEST_SAVEPOINT } from '@sluice/api/protocol.ts';
import { expectExactlyOnce } from '../harness/wordcount-reference.ts';
import {
  containerIdOf,
  createRestrictedNamespace,
  ctr,
  installChart,
  kubectl,
  kubectlJson,
  kubectlOk,
  operatorPods,
  pauseContainer,
  requireCluster,
  resumeContainer,
  systemNamespace,
  waitOperatorLeader,
} from './cluster.ts';
import {
  applyManifest,
  committedParts,
  condition,
  corpusWordcount,
  defaultBucket,
  getJob,
  jobEvents,
  jobPods,
  patchJob,
  readCommittedWordcounts,
  waitCheckpoint,
  waitJob,
  waitReady,
  waitRestoredLogs,
  type Job,
} from './streamjob-helpers.ts';
import { type Corpus, expectCheckpointObjects, uploadCorpus } from './wordcount-corpus.ts';

jest.setTimeout(600_000);

const ns = `sluice-e2e-up-${Date.now().toString(36)}`;
const name = 'wc-upgrade';
const outputPrefix = `outputs/${ns}/${name}/`;
let corpus: Corpus;

beforeAll(async () => {
  await requireCluster();
  await installChart();
  await createRestrictedNamespace(ns);
  const bucket = await defaultBucket();
  // 4 × 900 lines, 2 per worker at 20 lines/s: about 90 s of input, more than the first two
  // scenarios take; the last upgrade raises the rate so the job then finishes quickly.
  corpus = await uploadCorpus(bucket, `inputs/${ns}/${name}/`, 4, 900, 11);
  await applyManifest(ns, corpusWordcount(name, corpus, { parallelism: 2, rate: 20, outputPrefix }));
});

afterAll(async () => {
  if (process.env.SLUICE_E2E_KEEP_NAMESPACE === '1') return;
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

/** The operator savepoint an upgrade restored, checked against status and MinIO. */
async function expectUpgradedFrom(job: Job, previousSavepointId: number, oldParallelism: number) {
  expect(job.status?.attemptReason).toBe('SpecChanged');
  expect(job.status?.upgrade).toBeUndefined();
  expect(condition(job, 'Degraded')?.status).toBe('False');
  const sp = job.status?.savepoints?.last;
  expect(sp?.path).toMatch(/\/savepoints\/sp-\d+-operator$/);
  expect(sp?.id ?? 0).toBeGreaterThan(previousSavepointId);
  expect(job.status?.restoredFrom).toEqual({ kind: 'savepoint', id: sp?.id, path: sp?.path });
  await expectCheckpointObjects(corpus.bucket, sp!.path, oldParallelism);
  return sp!;
}

describe('a bounded wordcount in upgradeMode savepoint', () => {
  let userSavepointId = 0;
  let upgradeSavepointId = 0;

  it('takes a savepoint requested by annotation; status records its nonce, _metadata is in MinIO', async () => {
    await waitReady(ns, name, 180_000);
    await waitCheckpoint(ns, name, 0, 60_000);
    const nonce = `e2e-${Date.now().toString(36)}`;
    await kubectlOk(['-n', ns, 'annotate', 'streamjob', name, `${ANN_REQUEST_SAVEPOINT}=${nonce}`]);
    const job = await waitJob(
      ns,
      name,
      `savepoint request ${nonce} handled`,
      (j) =>
        j.status?.lastHandledRequests?.savepoint?.nonce === nonce &&
        j.status.lastHandledRequests.savepoint.result !== 'Accepted',
      60_000,
      1000,
    );
    expect(job.status?.lastHandledRequests?.savepoint).toMatchObject({ nonce, result: 'Completed' });
    const sp = job.status?.savepoints?.last;
    expect(sp).toMatchObject({ nonce });
    expect(sp?.path).toMatch(new RegExp(`/${job.metadata.uid}/savepoints/sp-${sp?.id}-${nonce}$`));
    expect(job.status?.savepoints?.history?.some((h) => h.id === sp?.id)).toBe(true);
    await expectCheckpointObjects(corpus.bucket, sp!.path, 2);
    userSavepointId = sp!.id;
    // A savepoint does not stop the job.
    expect(job.status).toMatchObject({ phase: 'Running', attempt: 1 });
    const events = await jobEvents(ns, name);
    expect(events.some((e) => e.reason === 'SavepointCompleted' && e.note?.includes(nonce))).toBe(true);
  });

  it('upgrades parallelism 2 → 3 through a stop-with-savepoint and restores it', async () => {
    const before = (await waitReady(ns, name, 60_000)).job;
    const attempt = before.status?.attempt ?? 0;
    await patchJob(ns, name, { spec: { parallelism: 3 } });
    const { job, pods } = await waitReady(ns, name, 180_000, (j) => (j.status?.attempt ?? 0) > attempt);
    expect(job.status?.attempt).toBe(attempt + 1);
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(
      [0, 1, 2].map((i) => `${name}-${attempt + 1}-${i}`),
    );
    const sp = await expectUpgradedFrom(job, userSavepointId, 2);
    upgradeSavepointId = sp.id;
    await waitRestoredLogs(ns, pods, sp.id);
    const reasons = (await jobEvents(ns, name)).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['UpgradeStarted', 'SavepointCompleted']));
  });

  it('finishes an upgrade whose operator was killed while it was savepointing', async () => {
    const { job: before, pods } = await waitReady(ns, name, 60_000);
    const attempt = before.status?.attempt ?? 0;
    const oldOperator = await waitOperatorLeader(60_000);
    const frozen = pods.map((p) => containerIdOf(p));
    for (const id of frozen) await pauseContainer(id);
    try {
      await patchJob(ns, name, {
        spec: { parallelism: 2, job: { config: { input: { s3: { rate: 1000 } } } } },
      });
      const savepointing = await waitJob(
        ns,
        name,
        'status.upgrade stage Savepointing',
        (j) => (j.status?.upgrade as { stage?: string } | undefined)?.stage === 'Savepointing',
        30_000,
        300,
      );
      expect(savepointing.status?.attempt).toBe(attempt);
      // A crash, not a shutdown: SIGKILL (no Lease release), then the pod is force-deleted so the
      // Deployment starts a new one.
      const opPod = await kubectlJson<{ status: { containerStatuses?: { containerID?: string }[] } }>([
        '-n',
        systemNamespace,
        'get',
        'pod',
        oldOperator,
      ]);
      await ctr([
        'tasks',
        'kill',
        '--signal',
        'SIGKILL',
        containerIdOf({ metadata: { name: oldOperator }, ...opPod }),
      ]);
      await kubectlOk(['-n', systemNamespace, 'delete', 'pod', oldOperator, '--grace-period=0', '--force']);
      console.log(
        `operator ${oldOperator} killed in stage Savepointing; snapshot in progress: ` +
          JSON.stringify(savepointing.status?.checkpoints?.inProgress ?? null),
      );
    } finally {
      for (const id of frozen) await resumeContainer(id);
    }

    const newOperator = await waitOperatorLeader(120_000);
    expect(newOperator).not.toBe(oldOperator);
    expect((await operatorPods()).map((p) => p.metadata.name)).toEqual([newOperator]);
    const { job, pods: upgraded } = await waitReady(
      ns,
      name,
      180_000,
      (j) => (j.status?.attempt ?? 0) > attempt,
    );
    expect(job.status?.attempt).toBe(attempt + 1);
    expect(upgraded).toHaveLength(2);
    const sp = await expectUpgradedFrom(job, upgradeSavepointId, 3);
    await waitRestoredLogs(ns, upgraded, sp.id);
  });

  it('finishes, and its committed output counts every input word exactly once', async () => {
    const done = await waitJob(ns, name, 'phase Finished', (j) => j.status?.phase === 'Finished', 240_000);
    expect(done.status?.restarts ?? 0).toBe(0);
    const parts = await committedParts(corpus.bucket, outputPrefix);
    const attempts = new Set(parts.map((k) => /^part-.+-a(\d+)-s\d+-/.exec(k)?.[1]));
    expect([...attempts].sort()).toEqual(['1', '2', '3']);
    const records = await readCommittedWordcounts(corpus.bucket, outputPrefix);
    expectExactlyOnce(records, corpus.expected);
    expect((await jobPods(ns, name)).every((p) => p.status.phase === 'Succeeded')).toBe(true);
    // Nothing was taken from a checkpoint older than the savepoints: no restore fallback.
    expect((await jobEvents(ns, name)).some((e) => e.reason === 'RestoreFallback')).toBe(false);
    expect((await getJob(ns, name)).status?.attempt).toBe(3);
  });
});
