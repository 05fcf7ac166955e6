/**
 * Health-driven restarts on real workers (process kubelet): a job whose checkpoints stop
 * completing (a worker hangs: SIGSTOP) is restarted from its last completed checkpoint once
 * spec.restartPolicy.checkpointProgressTimeoutSeconds passed, and still counts its input exactly
 * once; a job whose workers keep failing is marked Failed when
 * spec.restartPolicy.restartRateLimit is exceeded (docs/checkpointing.md "Checkpoint progress",
 * "Restart budget and rate").
 */
import { jest } from '@jest/globals';
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

jest.setTimeout(180_000);

describe('health-driven restarts (operator + real workers)', () => {
  let f: WordcountFixture | undefined;
  let operator: InProcessOperator;

  beforeAll(async () => {
    f = await startWordcountFixture('coordination-health', 23);
    operator = await startFixtureOperator(f);
  });

  afterAll(() => stopWordcountFixture(f, operator));

  it('restarts a job whose checkpoints stop completing from its last completed checkpoint', async () => {
    const { jobs, kubelet } = f!;
    await jobs.create(
      corpusWordcountJob('wchang', {
        output: 'wchang-out/',
        // 1200 lines at 2 × 15 lines/s: about 40 s of input.
        rate: 15,
        spec: {
          checkpoint: { intervalSeconds: 1, timeoutSeconds: 3, retained: 2 },
          restartPolicy: {
            maxRestarts: 3,
            backoffSeconds: 1,
            maxBackoffSeconds: 10,
            notReadyTimeoutSeconds: 120,
            checkpointProgressTimeoutSeconds: 10,
          },
        },
      }),
    );
    await waitFor(
      'two completed checkpoints while Running',
      async () => {
        const j = await jobs.get('wchang');
        return j.status?.phase === 'Running' && (j.status.checkpoints?.lastCompleted?.id ?? 0) >= 2;
      },
      60_000,
    );
    // A hung worker: its pod stays Ready, it acks no checkpoint request any more.
    kubelet.kill('wchang-1-1', 'SIGSTOP');
    const stalled = Date.now();
    const restarted: StreamJob = await waitFor(
      'attempt 2',
      async () => {
        const j = await jobs.get('wchang');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    const waited = (Date.now() - stalled) / 1000;
    expect(restarted.status).toMatchObject({
      attempt: 2,
      attemptReason: 'CheckpointProgressTimeout',
      restarts: 1,
    });
    expect(restarted.status!.recentRestarts).toHaveLength(1);
    const last = restarted.status!.checkpoints!.lastCompleted!;
    expect(restarted.status!.restoredFrom).toEqual({ kind: 'checkpoint', id: last.id, path: last.path });
    // Not before the window after the last completion (at most one interval before the stall).
    expect(waited).toBeGreaterThanOrEqual(8);
    const event = await waitFor('a Warning Event CheckpointProgressTimeout', async () => {
      const all = await eventsAbout(f!.env.kubeConfig, f!.env.namespace, 'wchang');
      return all.find((e) => e.reason === 'CheckpointProgressTimeout' && e.type === 'Warning');
    });
    expect(event.note).toMatch(
      /^no checkpoint or savepoint completed within spec\.restartPolicy\.checkpointProgressTimeoutSeconds=10s while attempt 1 ran .*: starting attempt 2, restoring checkpoint /,
    );
    // The hung process gets the kubelet's SIGTERM once it runs again.
    kubelet.kill('wchang-1-1', 'SIGCONT');
    await waitFinished(f!, 'wchang');
    await expectCorpusCountedOnce(f!, 'wchang-out/');
  });

  it('marks a job Failed when its restarts exceed spec.restartPolicy.restartRateLimit', async () => {
    const { jobs } = f!;
    const manifest = corpusWordcountJob('wcrate', {
      output: 'wcrate-out/',
      spec: {
        restartPolicy: {
          maxRestarts: 10,
          backoffSeconds: 1,
          maxBackoffSeconds: 1,
          notReadyTimeoutSeconds: 120,
          restartRateLimit: { maxRestarts: 2, windowSeconds: 600 },
        },
      },
    });
    // The input bucket does not exist: every attempt fails with an ObjectStoreError, which a
    // restart might fix (someone could create the bucket), so it goes through the restart policy.
    manifest.spec.job.config = {
      input: { s3: { prefix: 'corpus/', bucket: 'no-such-bucket' } },
      output: { s3: { prefix: 'wcrate-out/' } },
    };
    await jobs.create(manifest);
    const failed = await waitFor(
      'phase Failed with Degraded=True RestartRateExceeded',
      async () => {
        const j = await jobs.get('wcrate');
        const degraded = j.status?.conditions?.find((c) => c.type === 'Degraded');
        return j.status?.phase === 'Failed' && degraded?.reason === 'RestartRateExceeded' && j;
      },
      90_000,
    );
    expect(failed.status).toMatchObject({ attempt: 3, restarts: 2 });
    expect(failed.status!.recentRestarts).toHaveLength(2);
    const degraded = failed.status!.conditions!.find((c) => c.type === 'Degraded')!;
    expect(degraded.message).toMatch(
      /^(worker\(s\) wcrate-3-\d .* failed|\d+ workers failed: wcrate-3-\d .*) after 2 restarts within 600s \(spec\.restartPolicy\.restartRateLimit allows 2\)/,
    );
    const event = await waitFor('a Warning Event RestartRateExceeded', async () => {
      const all = await eventsAbout(f!.env.kubeConfig, f!.env.namespace, 'wcrate');
      return all.find((e) => e.reason === 'RestartRateExceeded' && e.type === 'Warning');
    });
    expect(event.note).toContain('restartRateLimit allows 2');
    // Failed holds: no further attempt although the budget (10) is not spent.
    await new Promise((r) => setTimeout(r, 4000));
    expect((await jobs.get('wcrate')).status).toMatchObject({ phase: 'Failed', attempt: 3, restarts: 2 });
  });

  it('does not restart for lack of progress once the budget is spent, and says so as Degraded', async () => {
    const { jobs, kubelet } = f!;
    await jobs.create(
      corpusWordcountJob('wcnobudget', {
        output: 'wcnobudget-out/',
        rate: 15,
        spec: {
          checkpoint: { intervalSeconds: 1, timeoutSeconds: 3, retained: 2 },
          restartPolicy: {
            maxRestarts: 0,
            backoffSeconds: 1,
            maxBackoffSeconds: 10,
            notReadyTimeoutSeconds: 120,
            checkpointProgressTimeoutSeconds: 10,
          },
        },
      }),
    );
    await waitFor(
      'a completed checkpoint while Running',
      async () => {
        const j = await jobs.get('wcnobudget');
        return j.status?.phase === 'Running' && (j.status.checkpoints?.lastCompleted?.id ?? 0) >= 1;
      },
      60_000,
    );
    kubelet.kill('wcnobudget-1-1', 'SIGSTOP');
    const degraded = await waitFor(
      'Degraded=True RestartBudgetExhausted',
      async () => {
        const j = await jobs.get('wcnobudget');
        const c = j.status?.conditions?.find((x) => x.type === 'Degraded');
        return c?.reason === 'RestartBudgetExhausted' && j;
      },
      40_000,
    );
    expect(degraded.status).toMatchObject({ phase: 'Running', attempt: 1 });
    expect(degraded.status!.conditions!.find((c) => c.type === 'Degraded')!.message).toMatch(
      /^no checkpoint or savepoint completed within .*=10s while attempt 1 ran .* and the restart budget of 0 is spent; .*; the job is not restarted and runs on without checkpoint progress$/,
    );
    // Progress again: the next checkpoint completes and the job is no longer degraded.
    kubelet.kill('wcnobudget-1-1', 'SIGCONT');
    await waitFor(
      'Degraded=False',
      async () =>
        (await jobs.get('wcnobudget')).status?.conditions?.find((c) => c.type === 'Degraded')?.status ===
        'False',
      40_000,
    );
    const done = await waitFinished(f!, 'wcnobudget');
    expect(done.status).toMatchObject({ attempt: 1 });
    await expectCorpusCountedOnce(f!, 'wcnobudget-out/');
  });
});
