/**
 * StreamJobSnapshot objects on the real API server, real workers and MinIO (docs/snapshots.md
 * "Snapshot objects"): an object triggers a savepoint and reports it; the operator records the
 * savepoints it takes on its own account; a new job starts from an object; disposeOnDelete
 * deletes the data — or, when storage does not answer, lets the object go after the bound and
 * says what was left; retention deletes the records of the savepoints it disposed of.
 */
import { jest } from '@jest/globals';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import { metadataKey } from '@sluice/api/layout.ts';
import { ANN_REQUEST_SAVEPOINT } from '@sluice/api/protocol.ts';
import { StreamJobSnapshotClient } from '../../operator/src/snapshot/snapshot-client.ts';
import { parseSnapshotUrl } from '../../operator/src/snapshot/snapshot-storage.ts';
import { eventsWith, waitFor, type InProcessOperator } from '../harness/operator.ts';
import {
  STORAGE_SECRET,
  corpusWordcountJob,
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  waitFinished,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import { OutageProxy } from '../harness/outage-proxy.ts';

jest.setTimeout(240_000);

describe('StreamJobSnapshot objects (operator + real workers + MinIO)', () => {
  let f: WordcountFixture;
  let operator: InProcessOperator;
  let snapshots: StreamJobSnapshotClient;
  let proxy: OutageProxy | undefined;

  beforeAll(async () => {
    f = await startWordcountFixture('coordination-sjs', 43);
    operator = await startFixtureOperator(f);
    snapshots = new StreamJobSnapshotClient(f.env.kubeConfig);
  });

  afterAll(async () => {
    await proxy?.stop();
    await stopWordcountFixture(f, operator);
  });

  const ns = () => f.env.namespace;
  const snapshotObject = (name: string, jobName: string, disposeOnDelete = false): StreamJobSnapshot => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJobSnapshot',
    metadata: { name, namespace: ns() },
    spec: { jobName, kind: 'savepoint', disposeOnDelete, alreadyExists: false },
  });
  const waitPhase = (name: string, phase: string, timeoutMs = 60_000) =>
    waitFor(
      `StreamJobSnapshot ${name} ${phase}`,
      async () => {
        const s = await snapshots.get(ns(), name);
        return s?.status?.phase === phase && s;
      },
      timeoutMs,
    );
  /** Object names under `s3://bucket/dir/` of a snapshot path, read with the harness's own MinIO client. */
  const objectsAt = async (url: string): Promise<string[]> => {
    const { bucket, dir } = parseSnapshotUrl(url);
    const names: string[] = [];
    for await (const o of f.env.minio.listObjectsV2(bucket, `${dir}/`, true)) if (o.name) names.push(o.name);
    return names;
  };
  const running = (name: string) =>
    waitFor(`${name} Running`, async () => (await f.jobs.get(name)).status?.phase === 'Running', 60_000);

  it('takes a savepoint for an object, records annotation savepoints, and starts a new job from an object', async () => {
    await f.jobs.create(corpusWordcountJob('src', { output: 'src-out/', rate: 10 }));
    await running('src');

    const created = await snapshots.create(snapshotObject('src-manual', 'src', true));
    const done = await waitPhase('src-manual', 'Completed');
    const nonce = `sjs.${created.metadata!.uid}`;
    expect(done.metadata!.finalizers).toEqual(['sluice.dev/dispose-snapshot']);
    expect(done.status).toMatchObject({
      origin: 'Requested',
      nonce,
      jobUid: (await f.jobs.get('src')).metadata!.uid,
    });
    expect(done.status!.path).toMatch(
      new RegExp(`^s3://${f.env.bucket}/.*/savepoints/sp-${done.status!.id}-sjs\\.`),
    );
    expect(done.status!.bytes).toBeGreaterThan(0);
    const { dir } = parseSnapshotUrl(done.status!.path!);
    expect(await objectsAt(done.status!.path!)).toContain(metadataKey(dir));
    await eventsWith(f.env.kubeConfig, ns(), 'src-manual', ['SnapshotCompleted']);
    // It served the job's own request path.
    expect((await f.jobs.get('src')).status?.lastHandledRequests?.savepoint).toMatchObject({
      nonce,
      result: 'Completed',
      id: done.status!.id,
    });

    // A savepoint the operator takes for an annotation gets a record object.
    await f.jobs.annotate('src', ANN_REQUEST_SAVEPOINT, 'ann-1');
    const sp = await waitFor(
      'the annotation savepoint',
      async () => {
        const last = (await f.jobs.get('src')).status?.savepoints?.last;
        return last?.nonce === 'ann-1' && last;
      },
      60_000,
    );
    const record = await waitPhase(`src-sp-${sp.id}`, 'Completed');
    expect(record.spec).toMatchObject({ jobName: 'src', alreadyExists: true, disposeOnDelete: false });
    expect(record.status).toMatchObject({ origin: 'Annotation', id: sp.id, nonce: 'ann-1' });
    expect(record.metadata!.ownerReferences).toBeUndefined();

    // A new job starts from the object.
    await f.jobs.create({
      ...corpusWordcountJob('dst', { output: 'dst-out/' }),
      spec: {
        ...corpusWordcountJob('dst', { output: 'dst-out/' }).spec,
        initialSavepointRef: { name: 'src-manual' },
      },
    });
    const dst = await waitFinished(f, 'dst');
    expect(dst.status!.restoredFrom).toMatchObject({ kind: 'savepoint', path: dir });
    await waitFinished(f, 'src', 180_000);
  });

  it('waits for a referenced object that does not exist yet and fails objects whose job is missing', async () => {
    await f.jobs.create({
      ...corpusWordcountJob('later', { output: 'later-out/' }),
      spec: {
        ...corpusWordcountJob('later', { output: 'later-out/' }).spec,
        initialSavepointRef: { name: 'nope' },
      },
    });
    const waiting = await waitFor(
      'later waiting for its snapshot',
      async () => {
        const j = await f.jobs.get('later');
        return j.status?.conditions?.find((c) => c.reason === 'InitialSavepointRefNotFound') && j;
      },
      30_000,
    );
    expect(waiting.status?.attempt ?? 0).toBe(0);
    await f.jobs.delete('later');

    await snapshots.create(snapshotObject('orphan', 'no-such-job'));
    const failed = await waitPhase('orphan', 'Failed');
    expect(failed.status).toMatchObject({ reason: 'JobNotFound' });
    await eventsWith(f.env.kubeConfig, ns(), 'orphan', ['SnapshotFailed']);
  });

  it('deletes the data of a disposeOnDelete object when the object is deleted', async () => {
    const snap = (await snapshots.get(ns(), 'src-manual'))!;
    expect((await objectsAt(snap.status!.path!)).length).toBeGreaterThan(0);
    await snapshots.delete(ns(), 'src-manual');
    await waitFor(
      'src-manual gone',
      async () => (await snapshots.get(ns(), 'src-manual')) === undefined,
      60_000,
    );
    expect(await objectsAt(snap.status!.path!)).toEqual([]);
    await eventsWith(f.env.kubeConfig, ns(), 'src-manual', ['SnapshotDisposed']);
  });

  it('lets the object go after the bound when its storage does not answer, and says what was left', async () => {
    proxy = await OutageProxy.start(f.env.state.minio.url);
    const job = corpusWordcountJob('px', { output: 'px-out/', rate: 5 });
    job.spec = {
      ...job.spec,
      storage: {
        endpoint: proxy.url(f.env.state.minio.url),
        bucket: f.env.bucket,
        credentialsSecret: { name: STORAGE_SECRET },
      },
    };
    await f.jobs.create(job);
    await running('px');
    await snapshots.create(snapshotObject('px-snap', 'px', true));
    const snap = await waitPhase('px-snap', 'Completed');

    await proxy.outage();
    const deletedAt = Date.now();
    await snapshots.delete(ns(), 'px-snap');
    await waitFor(
      'px-snap gone',
      async () => (await snapshots.get(ns(), 'px-snap')) === undefined,
      120_000,
      500,
    );
    // Not before the bound (60 s): until then the operator kept trying.
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(55_000);
    const events = await eventsWith(f.env.kubeConfig, ns(), 'px-snap', ['SnapshotDataLeft']);
    expect(events.find((e) => e.reason === 'SnapshotDataLeft')!.note).toContain(snap.status!.path!);
    expect((await objectsAt(snap.status!.path!)).length).toBeGreaterThan(0);
    await proxy.restore();
    await f.jobs.delete('px');
  });

  it('deletes the records of the savepoints retention disposed of, after their data', async () => {
    const job = corpusWordcountJob('ret', { output: 'ret-out/', rate: 10 });
    job.spec = { ...job.spec, savepoint: { ...job.spec.savepoint, retention: { maxCount: 1 } } };
    await f.jobs.create(job);
    await running('ret');
    const take = async (nonce: string) => {
      await f.jobs.annotate('ret', ANN_REQUEST_SAVEPOINT, nonce);
      return waitFor(
        `savepoint ${nonce}`,
        async () => {
          const last = (await f.jobs.get('ret')).status?.savepoints?.last;
          return last?.nonce === nonce && last;
        },
        60_000,
      );
    };
    const first = await take('r-1');
    const firstRecord = await waitPhase(`ret-sp-${first.id}`, 'Completed');
    const second = await take('r-2');
    await waitPhase(`ret-sp-${second.id}`, 'Completed');
    await waitFor(
      'the first record deleted',
      async () => (await snapshots.get(ns(), `ret-sp-${first.id}`)) === undefined,
      60_000,
    );
    expect(await objectsAt(firstRecord.status!.path!)).toEqual([]);
    await f.jobs.delete('ret');
  });
});
