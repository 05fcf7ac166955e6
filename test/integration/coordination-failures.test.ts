/**
 * Failure-recovery edge cases on real workers (process kubelet): a restore source whose
 * `_metadata` is corrupt falls back to the previous completed checkpoint still in storage (with
 * a Warning Event), and a job whose workers keep failing stops at phase Failed once
 * spec.restartPolicy.maxRestarts is spent.
 */
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { metadataKey } from '../../api/src/layout.ts';
import type { StreamJob } from '../../api/src/streamjob.ts';
import {
  type Jobs,
  eventsAbout,
  waitFor,
  type InProcessOperator,
} from '../../operator/src/testing/integration.ts';
import {
  corpusWordcountJob,
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import type { TestEnv } from '../harness/env.ts';
import type { ProcessKubelet } from '../harness/process-kubelet.ts';

jest.setTimeout(150_000);

describe('failure recovery edge cases (operator + real workers)', () => {
  let env: TestEnv;
  let jobs: Jobs;
  let core: CoreV1Api;
  let kubelet: ProcessKubelet;
  let operator: InProcessOperator;

  let fixture: WordcountFixture | undefined;

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-fail', 19);
    ({ env, jobs, kubelet } = fixture);
    core = env.kubeConfig.makeApiClient(CoreV1Api);
    operator = await startFixtureOperator(fixture);
  });

  afterAll(() => stopWordcountFixture(fixture, operator));

  function wordcount(name: string, backoffSeconds: number, maxRestarts: number) {
    const manifest = corpusWordcountJob(name, {
      output: `${name}-out/`,
      spec: {
        restartPolicy: { maxRestarts, backoffSeconds, maxBackoffSeconds: 10, notReadyTimeoutSeconds: 120 },
        checkpoint: { intervalSeconds: 1, timeoutSeconds: 30, retained: 3 },
      },
    });
    return manifest;
  }

  const podPhases = async (job: string) =>
    (
      await core.listNamespacedPod({ namespace: env.namespace, labelSelector: `sluice.dev/job=${job}` })
    ).items.map((p) => p.status?.phase);

  it('falls back to the previous completed checkpoint when the newest _metadata is corrupt', async () => {
    await jobs.create(wordcount('wcfb', 4, 3));
    await waitFor(
      'three completed checkpoints',
      async () => ((await jobs.get('wcfb')).status?.checkpoints?.lastCompleted?.id ?? 0) >= 3,
      60_000,
    );
    kubelet.kill('wcfb-1-1', 'SIGKILL');
    // Once every worker of attempt 1 has failed no checkpoint can complete any more.
    await waitFor(
      'both workers failed',
      async () => (await podPhases('wcfb')).every((p) => p === 'Failed'),
      30_000,
    );
    const newest = (await jobs.get('wcfb')).status!.checkpoints!.lastCompleted!;
    await env.minio.putObject(env.bucket, metadataKey(newest.path), Buffer.from('{"not":"metadata"'));

    const restarted: StreamJob = await waitFor(
      'attempt 2',
      async () => {
        const j = await jobs.get('wcfb');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    expect(restarted.status!.restoredFrom!.kind).toBe('checkpoint');
    expect(restarted.status!.restoredFrom!.id).toBeLessThan(newest.id);
    const events = await waitFor('a RestoreFallback Event', async () => {
      const all = await eventsAbout(env.kubeConfig, env.namespace, 'wcfb');
      return all.find((e) => e.reason === 'RestoreFallback' && e.type === 'Warning');
    });
    expect(events.note).toContain(`${newest.path}/_metadata is not valid JSON`);
    await waitFor(
      'attempt 2 running',
      async () => (await jobs.get('wcfb')).status?.phase === 'Running',
      60_000,
    );
  });

  it('refuses to restart without state when no checkpoint is readable, and says so as Degraded', async () => {
    await jobs.create(wordcount('wcnone', 1, 5));
    await waitFor(
      'two completed checkpoints',
      async () => ((await jobs.get('wcnone')).status?.checkpoints?.lastCompleted?.id ?? 0) >= 2,
      60_000,
    );
    kubelet.kill('wcnone-1-0', 'SIGKILL');
    await waitFor(
      'both workers failed',
      async () => (await podPhases('wcnone')).every((p) => p === 'Failed'),
      30_000,
    );
    const checkpointsDir = (await jobs.get('wcnone')).status!.checkpoints!.lastCompleted!.path.replace(
      /\/chk-\d+$/,
      '/',
    );
    const metadata: string[] = [];
    for await (const o of env.minio.listObjectsV2(env.bucket, checkpointsDir, true)) {
      if (o.name?.endsWith('/_metadata')) metadata.push(o.name);
    }
    expect(metadata.length).toBeGreaterThanOrEqual(2);
    for (const key of metadata) await env.minio.putObject(env.bucket, key, Buffer.from('garbage'));

    const degraded = await waitFor(
      'Degraded=True NoRestorableSnapshot',
      async () =>
        (await jobs.get('wcnone')).status?.conditions?.find(
          (c) => c.type === 'Degraded' && c.status === 'True' && c.reason === 'NoRestorableSnapshot',
        ),
      60_000,
    );
    expect(degraded.message).toMatch(/no readable snapshot to restore StreamJob .*\/wcnone from: /);
    expect((await jobs.get('wcnone')).status?.attempt).toBe(1);
  });

  it('stops at phase Failed once the restart budget is spent', async () => {
    const manifest = wordcount('wcbad', 1, 1);
    manifest.spec.job.entry = 'no-such-job';
    await jobs.create(manifest);
    const failed = await waitFor(
      'phase Failed and Degraded=True',
      async () => {
        const j = await jobs.get('wcbad');
        const degraded = j.status?.conditions?.find((c) => c.type === 'Degraded');
        return j.status?.phase === 'Failed' && degraded?.status === 'True' && j;
      },
      90_000,
    );
    expect(failed.status).toMatchObject({ attempt: 2, restarts: 1 });
    expect(failed.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'WorkerFailed',
    });
    const events = await waitFor('a RestartBudgetExhausted Event', async () => {
      const all = await eventsAbout(env.kubeConfig, env.namespace, 'wcbad');
      return all.find((e) => e.reason === 'RestartBudgetExhausted');
    });
    expect(events.note).toMatch(/restart budget of 1 is spent/);
  });
});
