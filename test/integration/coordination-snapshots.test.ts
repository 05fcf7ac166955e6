/**
 * Snapshots across attempts on real workers (process kubelet): a snapshot in progress when a new
 * attempt starts is aborted at once instead of holding the new attempt's checkpoints back until
 * its timeout, and retention keeps the checkpoint the current attempt restored from
 * (docs/checkpointing.md "Snapshots across attempts", "Retention").
 */
import { jest } from '@jest/globals';
import { ANN_REQUEST_RESTART } from '@sluice/api/protocol.ts';
import { metadataKey } from '@sluice/api/layout.ts';
import { waitFor, type InProcessOperator } from '../harness/operator.ts';
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

describe('snapshots across attempts (operator + real workers)', () => {
  let f: WordcountFixture | undefined;
  let operator: InProcessOperator;

  beforeAll(async () => {
    f = await startWordcountFixture('coordination-snapshots', 29);
    operator = await startFixtureOperator(f);
  });

  afterAll(() => stopWordcountFixture(f, operator));

  const exists = async (key: string) =>
    f!.env.minio.statObject(f!.env.bucket, key).then(
      () => true,
      () => false,
    );

  it('aborts the snapshot in progress when a new attempt starts, so the new attempt checkpoints at once', async () => {
    const { jobs, kubelet } = f!;
    await jobs.create(
      corpusWordcountJob('wcstuck', {
        output: 'wcstuck-out/',
        rate: 15,
        // A long checkpoint timeout: without the abort the new attempt would wait for it.
        spec: { checkpoint: { intervalSeconds: 1, timeoutSeconds: 120, retained: 2 } },
      }),
    );
    await waitFor(
      'a completed checkpoint while Running',
      async () => {
        const j = await jobs.get('wcstuck');
        return j.status?.phase === 'Running' && (j.status.checkpoints?.lastCompleted?.id ?? 0) >= 1;
      },
      60_000,
    );
    // A hung worker: the next checkpoint stays in progress.
    kubelet.kill('wcstuck-1-1', 'SIGSTOP');
    const stuck = await waitFor(
      'a checkpoint in progress for 3 s',
      async () => {
        const j = await jobs.get('wcstuck');
        const p = j.status?.checkpoints?.inProgress;
        return p && Date.now() - Date.parse(p.triggeredAt!) > 3000 && p;
      },
      30_000,
    );
    await jobs.annotate('wcstuck', ANN_REQUEST_RESTART, 'r1');
    const restarted = await waitFor(
      'attempt 2 running',
      async () => {
        const j = await jobs.get('wcstuck');
        return j.status?.attempt === 2 && j.status.phase === 'Running' && j;
      },
      60_000,
    );
    expect(restarted.status!.checkpoints!.inProgress?.id).not.toBe(stuck.id);
    expect(restarted.status!.checkpoints!.lastFailure).toMatchObject({
      id: stuck.id,
      reason: 'AttemptEnded',
    });
    const started = Date.parse(restarted.status!.attemptStartedAt!);
    // Far within the 120 s timeout of the abandoned checkpoint.
    await waitFor(
      'a checkpoint of attempt 2 completed',
      async () => ((await jobs.get('wcstuck')).status?.checkpoints?.lastCompleted?.id ?? 0) > stuck.id,
      30_000,
    );
    expect(Date.now() - started).toBeLessThan(40_000);
    kubelet.kill('wcstuck-1-1', 'SIGCONT');
    await waitFinished(f!, 'wcstuck');
    await expectCorpusCountedOnce(f!, 'wcstuck-out/');
  });

  it('keeps the checkpoint the current attempt restored from, beyond spec.checkpoint.retained', async () => {
    const { jobs } = f!;
    await jobs.create(
      corpusWordcountJob('wckeep', {
        output: 'wckeep-out/',
        rate: 20,
        spec: { checkpoint: { intervalSeconds: 1, timeoutSeconds: 30, retained: 1 } },
      }),
    );
    await waitFor(
      'a completed checkpoint while Running',
      async () => {
        const j = await jobs.get('wckeep');
        return j.status?.phase === 'Running' && (j.status.checkpoints?.lastCompleted?.id ?? 0) >= 2;
      },
      60_000,
    );
    await jobs.annotate('wckeep', ANN_REQUEST_RESTART, 'r1');
    const restarted = await waitFor(
      'attempt 2 running',
      async () => {
        const j = await jobs.get('wckeep');
        return j.status?.attempt === 2 && j.status.phase === 'Running' && j;
      },
      60_000,
    );
    const from = restarted.status!.restoredFrom!;
    expect(from.kind).toBe('checkpoint');
    await waitFor(
      'three more completed checkpoints',
      async () => ((await jobs.get('wckeep')).status?.checkpoints?.lastCompleted?.id ?? 0) >= from.id! + 3,
      60_000,
    );
    // retained: 1 — the checkpoint restored from is kept anyway, the ones between are gone.
    expect(await exists(metadataKey(from.path))).toBe(true);
    const between = from.path.replace(/chk-\d+$/, `chk-${from.id! + 1}`);
    expect(await exists(metadataKey(between))).toBe(false);
    await waitFinished(f!, 'wckeep');
    await expectCorpusCountedOnce(f!, 'wckeep-out/');
  });

  it('counts only checkpoints whose _metadata is valid towards spec.checkpoint.retained', async () => {
    const { jobs, kubelet } = f!;
    await jobs.create(
      corpusWordcountJob('wcread', {
        output: 'wcread-out/',
        rate: 15,
        spec: { checkpoint: { intervalSeconds: 5, timeoutSeconds: 60, retained: 2 } },
      }),
    );
    await waitFor(
      'three completed checkpoints while Running',
      async () => {
        const j = await jobs.get('wcread');
        return j.status?.phase === 'Running' && (j.status.checkpoints?.lastCompleted?.id ?? 0) >= 3;
      },
      60_000,
    );
    // Hold the next checkpoint back while the newest completed one is made unreadable.
    kubelet.kill('wcread-1-1', 'SIGSTOP');
    const held = await waitFor(
      'the next checkpoint in progress',
      async () => {
        const j = await jobs.get('wcread');
        return j.status?.checkpoints?.inProgress && j;
      },
      30_000,
    );
    const newest = held.status!.checkpoints!.lastCompleted!;
    const older: number[] = [];
    const root = newest.path.replace(/chk-\d+$/, '');
    for await (const o of f!.env.minio.listObjectsV2(f!.env.bucket, root, true)) {
      const m = /chk-(\d+)\/_metadata$/.exec(o.name ?? '');
      if (m && Number(m[1]) < newest.id) older.push(Number(m[1]));
    }
    expect(older.length).toBeGreaterThanOrEqual(1);
    const previous = Math.max(...older);
    await f!.env.minio.putObject(f!.env.bucket, metadataKey(newest.path), Buffer.from('not metadata'));
    kubelet.kill('wcread-1-1', 'SIGCONT');
    await waitFor(
      'the held checkpoint completed',
      async () => ((await jobs.get('wcread')).status?.checkpoints?.lastCompleted?.id ?? 0) > newest.id,
      30_000,
    );
    // retained 2 = the new one and the previous readable one; the unreadable one is deleted.
    const previousPath = newest.path.replace(/chk-\d+$/, `chk-${previous}`);
    await waitFor(
      'the unreadable checkpoint deleted',
      async () => !(await exists(metadataKey(newest.path))),
      4000,
    );
    expect(await exists(metadataKey(previousPath))).toBe(true);
    await waitFinished(f!, 'wcread');
    await expectCorpusCountedOnce(f!, 'wcread-out/');
  });
});
