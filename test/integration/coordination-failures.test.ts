/**
 * Failure-recovery edge cases on real workers (process kubelet): no readable snapshot at all is
 * Degraded without a restart, a job whose entry does not exist is Failed after its first attempt
 * (a restart cannot fix it), and a job whose workers keep failing stops at phase Failed once
 * spec.restartPolicy.maxRestarts is spent. The fallback to an older checkpoint when the newest
 * `_metadata` is corrupt is in coordination-fallback.test.ts.
 */
import { jest } from '@jest/globals';
import { type Jobs, eventsAbout, waitFor, type InProcessOperator } from '../harness/operator.ts';
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
  let kubelet: ProcessKubelet;
  let operator: InProcessOperator;

  let fixture: WordcountFixture | undefined;

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-fail', 19);
    ({ env, jobs, kubelet } = fixture);
    operator = await startFixtureOperator(fixture);
  });

  afterAll(() => stopWordcountFixture(fixture, operator));

  function wordcount(name: string, backoffSeconds: number, maxRestarts: number, intervalSeconds = 1) {
    const manifest = corpusWordcountJob(name, {
      output: `${name}-out/`,
      spec: {
        restartPolicy: { maxRestarts, backoffSeconds, maxBackoffSeconds: 10, notReadyTimeoutSeconds: 120 },
        checkpoint: { intervalSeconds, timeoutSeconds: 30, retained: 3 },
      },
    });
    return manifest;
  }

  it('refuses to restart without state when no checkpoint is readable, and says so as Degraded', async () => {
    // Checkpoints only on request (the periodic one is a day away), so every `_metadata` is
    // corrupted before the worker dies: the restart can only find unreadable snapshots.
    await jobs.create(wordcount('wcnone', 1, 5, 86_400));
    const lastCompleted = async () => (await jobs.get('wcnone')).status?.checkpoints?.lastCompleted?.id ?? 0;
    for (const nonce of ['c1', 'c2']) {
      const before = await lastCompleted();
      await jobs.annotate('wcnone', 'sluice.dev/checkpoint', nonce);
      await waitFor(
        `checkpoint request ${nonce} completed`,
        async () => (await lastCompleted()) > before,
        60_000,
      );
    }
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

    kubelet.kill('wcnone-1-0', 'SIGKILL');
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

  it('fails after its first attempt, with the runtime message, when the job entry does not exist', async () => {
    const manifest = wordcount('wcentry', 1, 5);
    manifest.spec.job.entry = 'no-such-job';
    await jobs.create(manifest);
    const failed = await waitFor(
      'phase Failed with Degraded=True JobLoadFailed',
      async () => {
        const j = await jobs.get('wcentry');
        const degraded = j.status?.conditions?.find((c) => c.type === 'Degraded');
        return j.status?.phase === 'Failed' && degraded?.reason === 'JobLoadFailed' && j;
      },
      60_000,
    );
    const degraded = failed.status!.conditions!.find((c) => c.type === 'Degraded')!;
    expect(degraded.status).toBe('True');
    expect(degraded.message).toMatch(
      /^worker wcentry-1-\d failed with JobLoadError: job entry "no-such-job" is not a built-in job \(wordcount, /,
    );
    const warning = await waitFor('a Warning Event JobLoadFailed', async () => {
      const all = await eventsAbout(env.kubeConfig, env.namespace, 'wcentry');
      return all.find((e) => e.reason === 'JobLoadFailed' && e.type === 'Warning');
    });
    expect(warning.note).toContain('job entry "no-such-job" is not a built-in job');
    // Longer than the backoff of 1 s: the job stays Failed in its first attempt, without restarts.
    await new Promise((r) => setTimeout(r, 4000));
    const later = await jobs.get('wcentry');
    expect(later.status).toMatchObject({ phase: 'Failed', attempt: 1 });
    expect(later.status?.restarts ?? 0).toBe(0);

    // A spec change starts a new attempt.
    await jobs.jsonPatch('wcentry', [{ op: 'replace', path: '/spec/job/entry', value: 'wordcount' }]);
    const next = await waitFor(
      'attempt 2 running',
      async () => {
        const j = await jobs.get('wcentry');
        return j.status?.attempt === 2 && ['Running', 'Finished'].includes(j.status.phase ?? '') && j;
      },
      60_000,
    );
    expect(next.status?.attemptReason).toBe('SpecChanged');
  });

  it('stops at phase Failed once the restart budget is spent', async () => {
    const manifest = wordcount('wcbad', 1, 1);
    // The input bucket does not exist: an ObjectStoreError, which a later attempt might not hit.
    manifest.spec.job.config = {
      input: { s3: { prefix: 'corpus/', bucket: 'no-such-bucket' } },
      output: { s3: { prefix: 'wcbad-out/' } },
    };
    await jobs.create(manifest);
    const failed = await waitFor(
      'phase Failed and Degraded=True RestartBudgetExhausted',
      async () => {
        const j = await jobs.get('wcbad');
        const degraded = j.status?.conditions?.find((c) => c.type === 'Degraded');
        return j.status?.phase === 'Failed' && degraded?.reason === 'RestartBudgetExhausted' && j;
      },
      90_000,
    );
    expect(failed.status).toMatchObject({ attempt: 2, restarts: 1 });
    expect(failed.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'RestartBudgetExhausted',
    });
    const events = await waitFor('a RestartBudgetExhausted Event', async () => {
      const all = await eventsAbout(env.kubeConfig, env.namespace, 'wcbad');
      return all.find((e) => e.reason === 'RestartBudgetExhausted' && e.type === 'Warning');
    });
    expect(events.note).toMatch(/restart budget of 1 is spent/);
  });
});
