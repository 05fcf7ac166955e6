/**
 * Failure recovery end to end: a bounded wordcount (S3 corpus → S3 sink, exactly once) run by the
 * in-process operator on real worker processes (process kubelet); one worker is SIGKILLed after
 * a checkpoint completed; the operator starts the next attempt restored from the last completed
 * checkpoint; the committed output must equal the reference count — nothing lost, nothing twice.
 */
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { type Jobs, eventsAbout, waitFor, type InProcessOperator } from '../harness/operator.ts';
import {
  corpusWordcountJob,
  expectCorpusCountedOnce,
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  waitFinished,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import type { TestEnv } from '../harness/env.ts';
import type { ProcessKubelet } from '../harness/process-kubelet.ts';

/** A short backoff so the tests see restarts quickly. */
const RESTART_POLICY = {
  maxRestarts: 3,
  backoffSeconds: 1,
  maxBackoffSeconds: 10,
  notReadyTimeoutSeconds: 120,
};

jest.setTimeout(150_000);

describe('failure recovery (operator + real workers)', () => {
  let env: TestEnv;
  let jobs: Jobs;
  let kubelet: ProcessKubelet;
  let operator: InProcessOperator;

  let fixture: WordcountFixture | undefined;

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-rec', 11);
    ({ env, jobs, kubelet } = fixture);
    operator = await startFixtureOperator(fixture);
  });

  afterAll(() => stopWordcountFixture(fixture, operator));

  it('restarts a killed worker from the last completed checkpoint; the output is exactly once', async () => {
    // 1200 lines at 60 lines/s per worker: about 10 s of input, several checkpoints.
    const manifest = corpusWordcountJob('wc', {
      output: 'out/',
      spec: {
        restartPolicy: RESTART_POLICY,
      },
    });
    await jobs.create(manifest);

    await waitFor(
      'a completed checkpoint in attempt 1',
      async () => ((await jobs.get('wc')).status?.checkpoints?.lastCompleted?.id ?? 0) >= 2,
      60_000,
    );
    const before = await jobs.get('wc');
    expect(before.status?.phase).toBe('Running');
    kubelet.kill('wc-1-1', 'SIGKILL');

    const restarted = await waitFor(
      'attempt 2 started for the failed worker',
      async () => {
        const j = await jobs.get('wc');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    expect(restarted.status).toMatchObject({ attempt: 2, attemptReason: 'WorkerFailed', restarts: 1 });
    // Restored from a completed checkpoint at least as new as the one seen before the kill.
    expect(restarted.status!.restoredFrom!.kind).toBe('checkpoint');
    expect(restarted.status!.restoredFrom!.id).toBeGreaterThanOrEqual(
      before.status!.checkpoints!.lastCompleted!.id,
    );

    const finished = await waitFinished(fixture!, 'wc');
    expect(finished.status!.attempt).toBe(2);
    await expectCorpusCountedOnce(fixture!, 'out/');
    const events = await eventsAbout(env.kubeConfig, env.namespace, 'wc');
    expect(events.some((ev) => ev.reason === 'WorkerFailed' && ev.type === 'Warning')).toBe(true);
  });

  it('replaces the attempt when a worker pod is deleted; the output is exactly once', async () => {
    const manifest = corpusWordcountJob('wcdel', {
      output: 'out-del/',
      spec: {
        restartPolicy: RESTART_POLICY,
      },
    });
    await jobs.create(manifest);
    await waitFor(
      'a completed checkpoint in attempt 1',
      async () => ((await jobs.get('wcdel')).status?.checkpoints?.lastCompleted?.id ?? 0) >= 2,
      60_000,
    );
    await env.kubeConfig
      .makeApiClient(CoreV1Api)
      .deleteNamespacedPod({ name: 'wcdel-1-0', namespace: env.namespace });
    const restarted = await waitFor(
      'a new attempt after the deletion',
      async () => {
        const j = await jobs.get('wcdel');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    expect(restarted.status).toMatchObject({ attemptReason: 'WorkerFailed' });
    expect(restarted.status!.restoredFrom!.kind).toBe('checkpoint');
    await waitFinished(fixture!, 'wcdel');
    await expectCorpusCountedOnce(fixture!, 'out-del/');
  });

  it('replaces the attempt when the only worker pod is deleted (parallelism 1); the output is exactly once', async () => {
    // With one worker no peer notices the deletion: recreating the pod in the same attempt would
    // restore the attempt's original snapshot and repeat the output its checkpoints committed.
    const manifest = corpusWordcountJob('wcone', {
      output: 'out-one/',
      rate: 120,
      spec: {
        parallelism: 1,
        restartPolicy: RESTART_POLICY,
      },
    });
    await jobs.create(manifest);
    await waitFor(
      'checkpoints committed in attempt 1',
      async () => ((await jobs.get('wcone')).status?.checkpoints?.lastCompleted?.id ?? 0) >= 2,
      60_000,
    );
    await env.kubeConfig
      .makeApiClient(CoreV1Api)
      .deleteNamespacedPod({ name: 'wcone-1-0', namespace: env.namespace });
    const restarted = await waitFor(
      'a new attempt after the deletion',
      async () => {
        const j = await jobs.get('wcone');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    expect(restarted.status).toMatchObject({ attemptReason: 'WorkerFailed', restarts: 1 });
    expect(restarted.status!.restoredFrom!.kind).toBe('checkpoint');
    await waitFinished(fixture!, 'wcone');
    await expectCorpusCountedOnce(fixture!, 'out-one/');
  });
});
