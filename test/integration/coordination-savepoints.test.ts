/**
 * Savepoint lifecycle on real workers (process kubelet) and MinIO: periodic savepoints at
 * spec.savepoint.periodicSeconds, and spec.savepoint.retention disposing of the oldest
 * savepoints' objects (by count and by age) while the last one is always kept
 * (docs/snapshots.md).
 */
import { jest } from '@jest/globals';
import { metadataKey } from '@sluice/api/layout.ts';
import { ANN_REQUEST_SAVEPOINT } from '@sluice/api/protocol.ts';
import type { CompletedSavepoint } from '@sluice/api/streamjob.ts';
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

describe('savepoint lifecycle (operator + real workers + MinIO)', () => {
  let f: WordcountFixture | undefined;
  let operator: InProcessOperator;

  beforeAll(async () => {
    f = await startWordcountFixture('coordination-savepoints', 31);
    operator = await startFixtureOperator(f);
  });

  afterAll(() => stopWordcountFixture(f, operator));

  /** Names of the objects under savepoint directory `path`. */
  const objectsUnder = async (path: string): Promise<string[]> => {
    const names: string[] = [];
    for await (const o of f!.env.minio.listObjectsV2(f!.env.bucket, `${path}/`, true))
      if (o.name) names.push(o.name);
    return names;
  };
  const hasMetadata = async (path: string) => (await objectsUnder(path)).includes(metadataKey(path));

  it('takes periodic savepoints at their cadence and keeps the newest maxCount of them in MinIO', async () => {
    const { jobs } = f!;
    await jobs.create(
      corpusWordcountJob('wcperiodic', {
        output: 'wcperiodic-out/',
        // 1200 lines at 2 × 10 lines/s: about 60 s of input.
        rate: 10,
        spec: {
          savepoint: {
            timeoutSeconds: 30,
            historyLimit: 10,
            periodicSeconds: 10,
            retention: { maxCount: 2 },
          },
        },
      }),
    );
    // Every savepoint completed, as seen in status.savepoints.last.
    const seen = new Map<number, CompletedSavepoint>();
    await waitFor(
      'three periodic savepoints',
      async () => {
        const last = (await jobs.get('wcperiodic')).status?.savepoints?.last;
        if (last) seen.set(last.id, last);
        return seen.size >= 3;
      },
      90_000,
      250,
    );
    const taken = [...seen.values()].sort((a, b) => a.id - b.id);
    for (const sp of taken) {
      expect(sp.nonce).toBe('_periodic');
      expect(sp.path).toMatch(/\/savepoints\/sp-\d+-_periodic$/);
    }
    const gaps = taken
      .slice(1)
      .map((sp, i) => Date.parse(sp.completedAt!) - Date.parse(taken[i]!.completedAt!));
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(9_000);
      expect(gap).toBeLessThan(20_000);
    }
    // maxCount 2: the first one's objects are deleted, then its history entry.
    const [first, second, third] = taken;
    await waitFor(
      'the oldest savepoint disposed of',
      async () => (await objectsUnder(first!.path)).length === 0,
    );
    const j = await waitFor('history of the newest two', async () => {
      const job = await jobs.get('wcperiodic');
      const ids = job.status?.savepoints?.history?.map((h) => h.id) ?? [];
      return !ids.includes(first!.id) && job;
    });
    expect(j.status!.savepoints!.history!.map((h) => h.id)).toContain(third!.id);
    expect(j.status!.savepoints!.history!.length).toBeLessThanOrEqual(2);
    expect(j.status!.lastHandledRequests?.savepoint).toBeUndefined();
    expect(await hasMetadata(third!.path)).toBe(true);
    if (j.status!.savepoints!.history!.some((h) => h.id === second!.id))
      expect(await hasMetadata(second!.path)).toBe(true);
    const events = await eventsAbout(f!.env.kubeConfig, f!.env.namespace, 'wcperiodic');
    expect(events.find((e) => e.reason === 'SavepointsDisposed')?.note).toContain(
      `${first!.id} (${first!.path}, beyond the newest 2)`,
    );
    await waitFinished(f!, 'wcperiodic');
    await expectCorpusCountedOnce(f!, 'wcperiodic-out/');
  });

  it('disposes of savepoints older than maxAge, but never of the last one', async () => {
    const { jobs } = f!;
    await jobs.create(
      corpusWordcountJob('wcage', {
        output: 'wcage-out/',
        rate: 10,
        spec: { savepoint: { timeoutSeconds: 30, historyLimit: 10, retention: { maxAge: '8s' } } },
      }),
    );
    const savepoint = async (nonce: string) => {
      await jobs.annotate('wcage', ANN_REQUEST_SAVEPOINT, nonce);
      return waitFor(
        `savepoint ${nonce}`,
        async () => {
          const last = (await jobs.get('wcage')).status?.savepoints?.last;
          return last?.nonce === nonce && last;
        },
        60_000,
      );
    };
    await waitFor('running', async () => (await jobs.get('wcage')).status?.phase === 'Running', 60_000);
    const a = await savepoint('s1');
    expect(await hasMetadata(a.path)).toBe(true);
    // Older than 8 s but the last savepoint: kept.
    await new Promise((r) => setTimeout(r, 10_000));
    expect(await hasMetadata(a.path)).toBe(true);
    const b = await savepoint('s2');
    await waitFor('savepoint s1 disposed of', async () => (await objectsUnder(a.path)).length === 0, 30_000);
    await waitFor('history without s1', async () => {
      const ids = (await jobs.get('wcage')).status?.savepoints?.history?.map((h) => h.id) ?? [];
      return !ids.includes(a.id) && ids.includes(b.id);
    });
    await new Promise((r) => setTimeout(r, 10_000));
    expect(await hasMetadata(b.path)).toBe(true);
    await waitFinished(f!, 'wcage');
    await expectCorpusCountedOnce(f!, 'wcage-out/');
  });
});
