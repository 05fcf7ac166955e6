/**
 * Upgrade in upgradeMode=savepoint end to end: a bounded wordcount (S3 corpus → S3 sink, exactly
 * once) on real worker processes (process kubelet); while it runs, spec.parallelism changes
 * 2 → 3; the operator takes a stop-with-savepoint, the old workers exit 0, and the next attempt
 * restores that savepoint at parallelism 3. The committed output must equal the reference count.
 */
import { jest } from '@jest/globals';
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

jest.setTimeout(150_000);

describe('upgrade through a savepoint (operator + real workers)', () => {
  let env: TestEnv;
  let jobs: Jobs;
  let operator: InProcessOperator;

  let fixture: WordcountFixture | undefined;

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-upg', 13);
    ({ env, jobs } = fixture);
    operator = await startFixtureOperator(fixture);
  });

  afterAll(() => stopWordcountFixture(fixture, operator));

  it('changes parallelism 2 -> 3 through a stop-with-savepoint; the output is exactly once', async () => {
    // 1200 lines at 60 lines/s per worker: about 10 s of input.
    const manifest = corpusWordcountJob('wc', { output: 'out/', spec: { upgradeMode: 'savepoint' } });
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
    // The new attempt is verified against spec.upgradeTimeoutSeconds until it runs.
    expect(upgraded.status!.lastStableSpec).toMatchObject({ generation: 1, spec: { parallelism: 2 } });
    await waitFor(
      'the upgrade verified: attempt 2 Running, generation 2 the stable spec',
      async () => {
        const j = await jobs.get('wc');
        return j.status?.upgrade === undefined && j.status?.lastStableSpec?.generation === 2;
      },
      60_000,
    );

    const finished = await waitFinished(fixture!, 'wc');
    expect(finished.status).toMatchObject({ attempt: 2, workers: { total: 3 } });
    await expectCorpusCountedOnce(fixture!, 'out/');
    const events = await eventsAbout(env.kubeConfig, env.namespace, 'wc');
    expect(events.some((ev) => ev.reason === 'UpgradeStarted')).toBe(true);
    expect(events.some((ev) => ev.reason === 'SavepointCompleted')).toBe(true);
    expect(events.some((ev) => ev.reason === 'UpgradeCompleted')).toBe(true);
  });

  it('suspends through a stop-with-savepoint and resumes from it; the output is exactly once', async () => {
    const manifest = corpusWordcountJob('wc2', { output: 'out2/', spec: { upgradeMode: 'savepoint' } });
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
    await waitFinished(fixture!, 'wc2');
    await expectCorpusCountedOnce(fixture!, 'out2/');
  });

  it('rolls a new version that does not become Running back to the last stable spec from its savepoint', async () => {
    const manifest = corpusWordcountJob('wc3', {
      output: 'out3/',
      rate: 40,
      spec: {
        upgradeMode: 'savepoint',
        upgradeTimeoutSeconds: 10,
        restartPolicy: {
          backoffSeconds: 1,
          maxBackoffSeconds: 2,
          maxRestarts: 10,
          notReadyTimeoutSeconds: 300,
        },
      },
    });
    await jobs.create(manifest);
    const stable = await waitFor(
      'attempt 1 running, recorded as the stable spec',
      async () => {
        const j = await jobs.get('wc3');
        return j.status?.phase === 'Running' && j.status.lastStableSpec?.generation === 1 && j;
      },
      60_000,
    );
    const stableHash = stable.status!.attemptSpecHash;

    // The new version cannot start: its workers exit with an error on every attempt.
    await jobs.mergePatch('wc3', { spec: { job: { entry: 'no-such-job' } } });
    const verifying = await waitFor(
      'the new version started from the upgrade savepoint and is being verified',
      async () => {
        const j = await jobs.get('wc3');
        return j.status?.upgrade?.stage === 'Verifying' && j;
      },
      60_000,
    );
    const sp = verifying.status!.savepoints!.last!;
    expect(verifying.status!.restoredFrom).toEqual({ kind: 'savepoint', id: sp.id, path: sp.path });

    const rolledBack = await waitFor(
      'rolled back to generation 1 from the savepoint',
      async () => {
        const j = await jobs.get('wc3');
        return j.status?.attemptReason === 'RolledBack' && j;
      },
      60_000,
    );
    expect(rolledBack.status).toMatchObject({
      attemptSpecHash: stableHash,
      restoredFrom: { kind: 'savepoint', id: sp.id, path: sp.path },
      rollback: {
        generation: 2,
        toGeneration: 1,
        restoredFrom: { kind: 'savepoint', id: sp.id, path: sp.path },
      },
    });
    // An unknown entry is an error a restart cannot fix: the new version is Failed at once.
    expect(rolledBack.status!.rollback!.message).toMatch(
      /^generation 2 failed \(JobLoadFailed\) before it became Running; rolled back to generation 1/,
    );
    // .spec is left as the user wrote it; status says it is not what runs.
    expect(rolledBack.spec.job.entry).toBe('no-such-job');

    const done = await waitFinished(fixture!, 'wc3');
    expect(done.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'UpgradeRolledBack',
    });
    await expectCorpusCountedOnce(fixture!, 'out3/');
    const events = await eventsAbout(env.kubeConfig, env.namespace, 'wc3');
    expect(events.find((ev) => ev.reason === 'UpgradeRolledBack')).toMatchObject({ type: 'Warning' });

    // Putting the spec back to what runs ends the rollback without a new attempt.
    await jobs.mergePatch('wc3', { spec: { job: { entry: 'wordcount' } } });
    const settled = await waitFor(
      'the rollback cleared by the next generation',
      async () => {
        const j = await jobs.get('wc3');
        return j.status?.observedGeneration === 3 && j.status.rollback === undefined && j;
      },
      30_000,
    );
    expect(settled.status!.attempt).toBe(done.status!.attempt);
    expect(settled.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'False' });
  });

  it('reverting the spec during the stop-with-savepoint restarts the job on it from the savepoint', async () => {
    const manifest = corpusWordcountJob('wc4', {
      output: 'out4/',
      rate: 40,
      spec: { upgradeMode: 'savepoint' },
    });
    await jobs.create(manifest);
    const first = await waitFor(
      'attempt 1 running',
      async () => {
        const j = await jobs.get('wc4');
        return j.status?.phase === 'Running' && j;
      },
      60_000,
    );
    await jobs.mergePatch('wc4', { spec: { parallelism: 3 } });
    // Once the stop-with-savepoint is under way the workers of attempt 1 stop whatever the spec.
    const stopping = await waitFor(
      'the stop-with-savepoint of attempt 1 under way',
      async () => {
        const j = await jobs.get('wc4');
        const p = j.status?.checkpoints?.inProgress;
        const underWay = p?.kind === 'savepoint' && p.nonce === undefined;
        return (underWay || j.status?.upgrade?.stage === 'SavepointTaken') && j;
      },
      30_000,
      20,
    );
    expect(stopping.status!.attempt).toBe(1);
    await jobs.mergePatch('wc4', { spec: { parallelism: 2 } });

    const finished = await waitFinished(fixture!, 'wc4');
    // Attempt 2 runs the spec of attempt 1 again, restored from the savepoint.
    expect(finished.status).toMatchObject({
      attempt: 2,
      attemptSpecHash: first.status!.attemptSpecHash,
      workers: { total: 2 },
      restoredFrom: { kind: 'savepoint', id: finished.status!.savepoints!.last!.id },
    });
    expect(finished.status!.upgrade).toBeUndefined();
    await expectCorpusCountedOnce(fixture!, 'out4/');
  });

  it('a spec changed and at once changed back: the job goes on with it, exactly once', async () => {
    const manifest = corpusWordcountJob('wc5', {
      output: 'out5/',
      rate: 40,
      spec: { upgradeMode: 'savepoint' },
    });
    await jobs.create(manifest);
    await waitFor(
      'attempt 1 running',
      async () => (await jobs.get('wc5')).status?.phase === 'Running',
      60_000,
    );
    // Two writes in a row: the operator sees the reverted spec first (nothing to do), or after it
    // held the attempt (the upgrade is cancelled, or restarts from its savepoint if under way).
    await jobs.mergePatch('wc5', { spec: { parallelism: 3 } });
    await jobs.mergePatch('wc5', { spec: { parallelism: 2 } });
    const finished = await waitFinished(fixture!, 'wc5');
    expect(finished.status).toMatchObject({ workers: { total: 2 } });
    expect(finished.status!.upgrade).toBeUndefined();
    await expectCorpusCountedOnce(fixture!, 'out5/');
  });
});
