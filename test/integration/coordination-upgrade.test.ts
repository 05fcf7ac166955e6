/**
 * Upgrade in upgradeMode=savepoint end to end: a bounded wordcount (S3 corpus → S3 sink, exactly
 * once) on real worker processes (process kubelet); while it runs, spec.parallelism changes
 * 2 → 3; the operator takes a stop-with-savepoint, the old workers exit 0, and the next attempt
 * restores that savepoint at parallelism 3. The committed output must equal the reference count.
 */
import { jest } from '@jest/globals';
import type { StreamJob } from '../../api/src/streamjob.ts';
import {
  type Jobs,
  eventsAbout,
  exampleJob,
  waitFor,
  type InProcessOperator,
} from '../../operator/src/testing/integration.ts';
import {
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import type { TestEnv } from '../harness/env.ts';
import { readCommittedOutput } from '../harness/local-workers.ts';
import { expectExactlyOnce } from '../harness/wordcount-reference.ts';

jest.setTimeout(150_000);

describe('upgrade through a savepoint (operator + real workers)', () => {
  let env: TestEnv;
  let jobs: Jobs;
  let operator: InProcessOperator;
  let expected: string[];

  let fixture: WordcountFixture | undefined;

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-upg', 13);
    ({ env, jobs, expected } = fixture);
    operator = await startFixtureOperator(fixture);
  });

  afterAll(() => stopWordcountFixture(fixture, operator));

  it('changes parallelism 2 -> 3 through a stop-with-savepoint; the output is exactly once', async () => {
    const manifest = exampleJob('wordcount.yaml');
    manifest.metadata.name = 'wc';
    manifest.spec.parallelism = 2;
    manifest.spec.upgradeMode = 'savepoint';
    // 1200 lines at 60 lines/s per worker: about 10 s of input.
    manifest.spec.job.config = {
      input: { s3: { prefix: 'corpus/', rate: 60 } },
      output: { s3: { prefix: 'out/', rollBytes: 4096 } },
    };
    manifest.spec.checkpoint = { intervalSeconds: 1, timeoutSeconds: 30, retained: 2 };
    delete manifest.spec.podTemplate;
    await jobs.create(manifest);

    await waitFor(
      'attempt 1 running with a completed checkpoint',
      async () => {
        const j = await jobs.get('wc');
        return j.status?.phase === 'Running' && (j.status.checkpoints?.lastCompleted?.id ?? 0) >= 1;
      },
      60_000,
    );
    await jobs.mergePatch('wc', { spec: { parallelism: 3 } });

    const upgraded = await waitFor(
      'attempt 2 started from the upgrade savepoint',
      async () => {
        const j = await jobs.get('wc');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    expect(upgraded.status).toMatchObject({ attempt: 2, attemptReason: 'SpecChanged' });
    const sp = upgraded.status!.savepoints!.last!;
    expect(upgraded.status!.restoredFrom).toEqual({ kind: 'savepoint', id: sp.id, path: sp.path });
    expect(sp.path).toMatch(/\/savepoints\/sp-\d+-operator$/);
    expect(upgraded.status!.upgrade).toBeUndefined();

    const finished: StreamJob = await waitFor(
      'the bounded job finished at parallelism 3',
      async () => {
        const j = await jobs.get('wc');
        return j.status?.phase === 'Finished' && j;
      },
      120_000,
    );
    expect(finished.status).toMatchObject({ attempt: 2, workers: { total: 3 } });
    const out = await readCommittedOutput<{ word: string; count: number }>(env.minio, env.bucket, 'out/');
    expectExactlyOnce(out, expected);
    const events = await eventsAbout(env.kubeConfig, env.namespace, 'wc');
    expect(events.some((ev) => ev.reason === 'UpgradeStarted')).toBe(true);
    expect(events.some((ev) => ev.reason === 'SavepointCompleted')).toBe(true);
  });

  it('suspends through a stop-with-savepoint and resumes from it; the output is exactly once', async () => {
    const manifest = exampleJob('wordcount.yaml');
    manifest.metadata.name = 'wc2';
    manifest.spec.parallelism = 2;
    manifest.spec.upgradeMode = 'savepoint';
    manifest.spec.job.config = {
      input: { s3: { prefix: 'corpus/', rate: 60 } },
      output: { s3: { prefix: 'out2/', rollBytes: 4096 } },
    };
    manifest.spec.checkpoint = { intervalSeconds: 1, timeoutSeconds: 30, retained: 2 };
    delete manifest.spec.podTemplate;
    await jobs.create(manifest);
    await waitFor(
      'attempt 1 running with a completed checkpoint',
      async () => {
        const j = await jobs.get('wc2');
        return j.status?.phase === 'Running' && (j.status.checkpoints?.lastCompleted?.id ?? 0) >= 1;
      },
      60_000,
    );

    await jobs.mergePatch('wc2', { spec: { state: 'suspended' } });
    const suspended = await waitFor(
      'Suspended after a savepoint',
      async () => {
        const j = await jobs.get('wc2');
        return j.status?.phase === 'Suspended' && j;
      },
      60_000,
    );
    const sp = suspended.status!.savepoints!.last!;
    expect(sp.path).toMatch(/\/savepoints\/sp-\d+-operator$/);
    expect(sp.id).toBeGreaterThan(suspended.status!.checkpoints!.lastCompleted!.id);

    await jobs.mergePatch('wc2', { spec: { state: 'running' } });
    const resumed = await waitFor(
      'attempt 2 resumed',
      async () => {
        const j = await jobs.get('wc2');
        return (j.status?.attempt ?? 0) >= 2 && j;
      },
      60_000,
    );
    expect(resumed.status).toMatchObject({ attempt: 2, attemptReason: 'Resumed' });
    expect(resumed.status!.restoredFrom).toEqual({ kind: 'savepoint', id: sp.id, path: sp.path });
    await waitFor(
      'the resumed job finished',
      async () => (await jobs.get('wc2')).status?.phase === 'Finished',
      120_000,
    );
    const out = await readCommittedOutput<{ word: string; count: number }>(env.minio, env.bucket, 'out2/');
    expectExactlyOnce(out, expected);
  });
});
