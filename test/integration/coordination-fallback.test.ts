/**
 * Failure recovery never falls back past committed output unless the job opts in
 * (docs/checkpointing.md "Failure recovery", operator/src/lifecycle/restore-fallback.ts), on
 * real workers (process kubelet) and real MinIO. A worker is SIGKILLed, and once every worker of
 * attempt 1 has failed the newest checkpoint's `_metadata` is overwritten with garbage:
 *
 *  - by default the job is Failed with Degraded=True RestoreFallbackRefused and a Warning Event
 *    naming the unreadable and the older readable checkpoint and the opt-in; it stays in attempt 1.
 *    With the `_metadata` put back, a restart request restores the newest checkpoint and the
 *    output counts the corpus exactly once;
 *  - once spec.recovery.allowReplayedOutput is set on such a Failed job it restores an older
 *    checkpoint (Warning Event RestoreFallback) and finishes, and the output of the replayed
 *    interval is published twice;
 *  - a checkpoint-progress restart (a SIGSTOPped worker) that would fall back past committed
 *    output is refused too: the job runs on Degraded, and finishes exactly once in attempt 1 once
 *    the worker runs again.
 */
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { metadataKey } from '@sluice/api/layout.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import { eventsAbout, waitFor, type InProcessOperator } from '../harness/operator.ts';
import {
  corpusWordcountJob,
  expectCorpusCountedOnce,
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  waitFinished,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import { readCommittedOutput } from '../harness/local-workers.ts';

jest.setTimeout(180_000);

describe('failure recovery does not fall back past committed output (operator + real workers)', () => {
  let f: WordcountFixture;
  let core: CoreV1Api;
  let operator: InProcessOperator;

  beforeAll(async () => {
    f = await startWordcountFixture('coordination-fallback', 23);
    core = f.env.kubeConfig.makeApiClient(CoreV1Api);
    operator = await startFixtureOperator(f);
  });

  afterAll(() => stopWordcountFixture(f, operator));

  function wordcount(name: string) {
    // 30 lines/s per worker: about 20 s of input, so the bounded job is still reading when the
    // third checkpoint completes and a worker is killed, even on a loaded machine.
    return corpusWordcountJob(name, {
      output: `${name}-out/`,
      rate: 30,
      spec: {
        // A backoff of 4 s after the last worker failed leaves the test time to make the newest
        // checkpoint unreadable before the recovery reads it.
        restartPolicy: {
          maxRestarts: 3,
          backoffSeconds: 4,
          maxBackoffSeconds: 10,
          notReadyTimeoutSeconds: 120,
        },
        checkpoint: { intervalSeconds: 1, timeoutSeconds: 30, retained: 3 },
      },
    });
  }

  const podPhases = async (job: string) =>
    (
      await core.listNamespacedPod({ namespace: f.env.namespace, labelSelector: `sluice.dev/job=${job}` })
    ).items.map((p) => p.status?.phase);

  /**
   * Runs `name` to three completed checkpoints, SIGKILLs worker 1 and waits until every worker of
   * attempt 1 failed (no checkpoint completes after that); returns the job then.
   */
  async function killAfterThreeCheckpoints(name: string): Promise<StreamJob> {
    await waitFor(
      'three completed checkpoints',
      async () => ((await f.jobs.get(name)).status?.checkpoints?.lastCompleted?.id ?? 0) >= 3,
      60_000,
    );
    f.kubelet.kill(`${name}-1-1`, 'SIGKILL');
    await waitFor(
      'both workers failed',
      async () => (await podPhases(name)).every((p) => p === 'Failed'),
      30_000,
    );
    return f.jobs.get(name);
  }

  /** The completed checkpoint ids in storage, newest first. */
  async function storedCompleted(newestPath: string): Promise<number[]> {
    const dir = newestPath.replace(/chk-\d+$/, '');
    const ids: number[] = [];
    for await (const o of f.env.minio.listObjectsV2(f.env.bucket, dir, true)) {
      const m = /chk-(\d+)\/_metadata$/.exec(o.name ?? '');
      if (m) ids.push(Number(m[1]));
    }
    return ids.sort((a, b) => b - a);
  }

  async function readObject(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await f.env.minio.getObject(f.env.bucket, key))
      chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks);
  }

  it('refuses by default: Failed with RestoreFallbackRefused; repaired and restarted, the output is exactly once', async () => {
    await f.jobs.create(wordcount('fbno'));
    const killed = await killAfterThreeCheckpoints('fbno');
    const newest = killed.status!.checkpoints!.lastCompleted!;
    const older = (await storedCompleted(newest.path)).filter((id) => id < newest.id)[0]!;
    expect(older).toBeDefined();
    const key = metadataKey(newest.path);
    const original = await readObject(key);
    await f.env.minio.putObject(f.env.bucket, key, Buffer.from('{"not":"metadata"'));

    const failed = await waitFor(
      'phase Failed with Degraded=True RestoreFallbackRefused',
      async () => {
        const j = await f.jobs.get('fbno');
        const degraded = j.status?.conditions?.find((c) => c.type === 'Degraded');
        return j.status?.phase === 'Failed' && degraded?.reason === 'RestoreFallbackRefused' && j;
      },
      60_000,
    );
    const degraded = failed.status!.conditions!.find((c) => c.type === 'Degraded')!;
    expect(degraded.status).toBe('True');
    expect(degraded.message).toContain(
      `checkpoint ${newest.id} (${newest.path}) cannot be restored: snapshot metadata s3://${f.env.bucket}/${key} is not valid JSON`,
    );
    expect(degraded.message).toContain(`The older checkpoint ${older} (`);
    expect(degraded.message).toContain('publish their output twice');
    expect(degraded.message).toContain('spec.recovery.allowReplayedOutput: true');
    const warning = await waitFor('a Warning Event RestoreFallbackRefused', async () =>
      (await eventsAbout(f.env.kubeConfig, f.env.namespace, 'fbno')).find(
        (e) => e.reason === 'RestoreFallbackRefused' && e.type === 'Warning',
      ),
    );
    expect(warning.note).toContain(`checkpoint ${newest.id} (${newest.path}) cannot be restored`);
    expect(warning.note).toContain(`checkpoint ${older} (`);
    const events = await eventsAbout(f.env.kubeConfig, f.env.namespace, 'fbno');
    expect(events.some((e) => e.reason === 'RestoreFallback')).toBe(false);
    // Longer than the backoff: no restart from the older checkpoint happens.
    await new Promise((r) => setTimeout(r, 6000));
    const later = await f.jobs.get('fbno');
    expect(later.status).toMatchObject({ phase: 'Failed', attempt: 1 });
    expect(later.status?.restarts ?? 0).toBe(0);

    // The way out the message names: the newest snapshot readable again, then a restart request.
    await f.env.minio.putObject(f.env.bucket, key, original);
    await f.jobs.annotate('fbno', 'sluice.dev/restart', 'r1');
    const done = await waitFinished(f, 'fbno');
    // From the repaired checkpoint (or a newer one, when a reconcile saw the repair before the
    // request and restarted from it: every reconcile looks again).
    expect(done.status?.restoredFrom?.kind).toBe('checkpoint');
    expect(done.status?.restoredFrom?.id).toBeGreaterThanOrEqual(newest.id);
    await expectCorpusCountedOnce(f, 'fbno-out/');
  });

  it('with spec.recovery.allowReplayedOutput set on the Failed job restores an older checkpoint and publishes the replayed output twice', async () => {
    await f.jobs.create(wordcount('fbyes'));
    const killed = await killAfterThreeCheckpoints('fbyes');
    const newest = killed.status!.checkpoints!.lastCompleted!;
    const ids = await storedCompleted(newest.path);
    expect(ids[0]).toBe(newest.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    // The two newest unreadable: the one restored is older than a checkpoint whose output was
    // committed a checkpoint interval before the kill, so the replay publishes it again.
    for (const id of ids.slice(0, 2)) {
      await f.env.minio.putObject(
        f.env.bucket,
        metadataKey(newest.path.replace(/chk-\d+$/, `chk-${id}`)),
        Buffer.from('garbage'),
      );
    }

    const refused = await waitFor(
      'Degraded=True RestoreFallbackRefused',
      async () =>
        (await f.jobs.get('fbyes')).status?.conditions?.find(
          (c) => c.type === 'Degraded' && c.reason === 'RestoreFallbackRefused',
        ),
      60_000,
    );
    expect(refused.message).toMatch(
      /^not restarted after a worker failure: 2 snapshots cannot be restored: checkpoint /,
    );
    expect(refused.message).toContain(`The older checkpoint ${ids[2]} (`);

    // Opting in (not worker-shaping: no new attempt by itself) lets the recovery fall back.
    await f.jobs.mergePatch('fbyes', { spec: { recovery: { allowReplayedOutput: true } } });
    const done = await waitFinished(f, 'fbyes');
    expect(done.status).toMatchObject({ attempt: 2, attemptReason: 'WorkerFailed', restarts: 1 });
    expect(done.status?.restoredFrom).toMatchObject({ kind: 'checkpoint', id: ids[2] });
    const fallback = (await eventsAbout(f.env.kubeConfig, f.env.namespace, 'fbyes')).find(
      (e) => e.reason === 'RestoreFallback' && e.type === 'Warning',
    );
    expect(fallback?.note).toContain(`${newest.path}/_metadata is not valid JSON`);
    expect(fallback?.note).toContain(
      'allowReplayedOutput is true: the output committed after it is published again',
    );

    const out = await readCommittedOutput<{ word: string; count: number }>(
      f.env.minio,
      f.env.bucket,
      'fbyes-out/',
    );
    const tally = (xs: string[]) =>
      xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
    const actual = tally(out.map((r) => `${r.word} ${r.count}`));
    const expected = tally(f.expected);
    // Nothing lost, nothing invented — but records published twice.
    expect([...expected].filter(([k, n]) => (actual.get(k) ?? 0) < n)).toEqual([]);
    expect([...actual.keys()].filter((k) => !expected.has(k))).toEqual([]);
    expect(out.length).toBeGreaterThan(f.expected.length);
    await expect(expectCorpusCountedOnce(f, 'fbyes-out/')).rejects.toThrow();
  });
  it('refuses a progress restart past committed output: the job runs on, Degraded, and finishes exactly once', async () => {
    const manifest = corpusWordcountJob('fbhang', {
      output: 'fbhang-out/',
      // 1200 lines at 2 × 15 lines/s: about 40 s of input.
      rate: 15,
      spec: {
        checkpoint: { intervalSeconds: 1, timeoutSeconds: 3, retained: 3 },
        restartPolicy: {
          maxRestarts: 3,
          backoffSeconds: 1,
          maxBackoffSeconds: 10,
          notReadyTimeoutSeconds: 120,
          checkpointProgressTimeoutSeconds: 10,
        },
      },
    });
    await f.jobs.create(manifest);
    await waitFor(
      'three completed checkpoints while Running',
      async () => {
        const j = await f.jobs.get('fbhang');
        return j.status?.phase === 'Running' && (j.status.checkpoints?.lastCompleted?.id ?? 0) >= 3 && j;
      },
      60_000,
    );
    // A hung worker: Ready, but it acks nothing any more; then the newest checkpoint unreadable.
    f.kubelet.kill('fbhang-1-1', 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 2000));
    const newest = (await f.jobs.get('fbhang')).status!.checkpoints!.lastCompleted!;
    await f.env.minio.putObject(f.env.bucket, metadataKey(newest.path), Buffer.from('garbage'));

    const degraded = await waitFor(
      'Degraded=True RestoreFallbackRefused',
      async () =>
        (await f.jobs.get('fbhang')).status?.conditions?.find(
          (c) => c.type === 'Degraded' && c.status === 'True' && c.reason === 'RestoreFallbackRefused',
        ),
      60_000,
    );
    expect(degraded.message).toMatch(/^no checkpoint or savepoint completed within /);
    expect(degraded.message).toContain(`checkpoint ${newest.id} (${newest.path}) cannot be restored`);
    expect(degraded.message).toMatch(/the job runs on without checkpoint progress$/);
    expect((await f.jobs.get('fbhang')).status).toMatchObject({ phase: 'Running', attempt: 1 });

    // Once the worker runs again checkpoints complete, and attempt 1 finishes the input.
    f.kubelet.kill('fbhang-1-1', 'SIGCONT');
    const done = await waitFinished(f, 'fbhang');
    expect(done.status).toMatchObject({ attempt: 1 });
    expect(done.status?.restarts ?? 0).toBe(0);
    await expectCorpusCountedOnce(f, 'fbhang-out/');
  });
});
