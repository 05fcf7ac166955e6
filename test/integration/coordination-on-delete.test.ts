/**
 * spec.onDelete on the real API server, real workers and MinIO (docs/snapshots.md "When a job is
 * deleted"): `savepoint` takes a final stop-with-savepoint before the job goes and records it as
 * a StreamJobSnapshot; `delete` removes the job's checkpoints and unrecorded savepoints but keeps
 * what a snapshot object with disposeOnDelete false names; with storage not answering the
 * deletion still completes after the bound, with an Event naming what was left; `keep` adds no
 * finalizer.
 */
import { jest } from '@jest/globals';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import type { StreamJobSnapshot } from '@sluice/api/streamjobsnapshot.ts';
import { StreamJobSnapshotClient } from '../../operator/src/snapshot/snapshot-client.ts';
import { parseSnapshotUrl } from '../../operator/src/snapshot/snapshot-storage.ts';
import { eventsWith, waitFor, type InProcessOperator } from '../harness/operator.ts';
import {
  STORAGE_SECRET,
  corpusWordcountJob,
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import { OutageProxy } from '../harness/outage-proxy.ts';

jest.setTimeout(240_000);

describe('spec.onDelete (operator + real workers + MinIO)', () => {
  let f: WordcountFixture;
  let operator: InProcessOperator;
  let snapshots: StreamJobSnapshotClient;
  let proxy: OutageProxy | undefined;

  beforeAll(async () => {
    f = await startWordcountFixture('coordination-ondelete', 47);
    operator = await startFixtureOperator(f);
    snapshots = new StreamJobSnapshotClient(f.env.kubeConfig);
  });

  afterAll(async () => {
    await proxy?.stop();
    await stopWordcountFixture(f, operator);
  });

  const ns = () => f.env.namespace;
  const objects = async (prefix: string): Promise<string[]> => {
    const names: string[] = [];
    for await (const o of f.env.minio.listObjectsV2(f.env.bucket, prefix, true))
      if (o.name) names.push(o.name);
    return names;
  };
  /** Creates `name` (rate 10: about a minute of input) with `onDelete`, waits for a completed checkpoint. */
  const runningWithCheckpoint = async (name: string, onDelete: StreamJob['spec']['onDelete'], spec = {}) => {
    const job = corpusWordcountJob(name, { output: `${name}-out/`, rate: 10 });
    job.spec = { ...job.spec, onDelete, ...spec };
    await f.jobs.create(job);
    return waitFor(
      `${name} running with a checkpoint`,
      async () => {
        const j = await f.jobs.get(name);
        return j.status?.phase === 'Running' && j.status.checkpoints?.lastCompleted && j;
      },
      60_000,
    );
  };
  const gone = (name: string, timeoutMs = 60_000) =>
    waitFor(
      `${name} deleted`,
      async () => {
        try {
          await f.jobs.get(name);
          return false;
        } catch {
          return true;
        }
      },
      timeoutMs,
      500,
    );

  it('keep: no finalizer, the job goes at once and its data stays', async () => {
    const job = await runningWithCheckpoint('keeper', 'keep');
    expect(job.metadata!.finalizers ?? []).toEqual([]);
    await f.jobs.delete('keeper');
    await gone('keeper', 10_000);
    expect((await objects(`${job.status!.checkpoints!.lastCompleted!.path}/`)).length).toBeGreaterThan(0);
  });

  it('savepoint: a final stop-with-savepoint before the job goes, recorded as a StreamJobSnapshot', async () => {
    const job = await runningWithCheckpoint('saver', 'savepoint');
    expect(job.metadata!.finalizers).toContain('sluice.dev/on-delete');
    await f.jobs.delete('saver');
    await gone('saver');
    const records = (await snapshots.list(ns())).items.filter(
      (s: StreamJobSnapshot) => s.spec.jobName === 'saver' && s.status?.origin === 'StopWithSavepoint',
    );
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record.status).toMatchObject({ phase: 'Completed', jobUid: job.metadata!.uid });
    // Taken after the checkpoint seen before the deletion (ids are one sequence per job).
    expect(record.status!.id!).toBeGreaterThan(job.status!.checkpoints!.lastCompleted!.id);
    const { dir } = parseSnapshotUrl(record.status!.path!);
    expect(await objects(`${dir}/`)).toContain(`${dir}/_metadata`);
  });

  it('delete: checkpoints and unrecorded savepoints go, a savepoint kept by a snapshot object stays', async () => {
    const job = await runningWithCheckpoint('deleter', 'delete');
    const keep: StreamJobSnapshot = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'StreamJobSnapshot',
      metadata: { name: 'deleter-keep', namespace: ns() },
      spec: { jobName: 'deleter', kind: 'savepoint', disposeOnDelete: false, alreadyExists: false },
    };
    await snapshots.create(keep);
    const kept = await waitFor(
      'deleter-keep completed',
      async () => {
        const s = await snapshots.get(ns(), 'deleter-keep');
        return s?.status?.phase === 'Completed' && s;
      },
      60_000,
    );
    const jobPrefix = job.status!.checkpoints!.lastCompleted!.path.replace(/\/checkpoints\/chk-\d+$/, '');
    await f.jobs.delete('deleter');
    await gone('deleter');
    const { dir } = parseSnapshotUrl(kept.status!.path!);
    const left = await objects(`${jobPrefix}/`);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((n) => n.startsWith(`${dir}/`))).toBe(true);
    await eventsWith(f.env.kubeConfig, ns(), 'deleter', ['JobDataDeleted']);
  });

  it('delete with storage not answering: the job still goes after the bound, saying what was left', async () => {
    proxy = await OutageProxy.start(f.env.state.minio.url);
    const job = await runningWithCheckpoint('stuck', 'delete', {
      storage: {
        endpoint: proxy.url(f.env.state.minio.url),
        bucket: f.env.bucket,
        credentialsSecret: { name: STORAGE_SECRET },
      },
    });
    await proxy.outage();
    const deletedAt = Date.now();
    await f.jobs.delete('stuck');
    await gone('stuck', 150_000);
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(80_000);
    await eventsWith(f.env.kubeConfig, ns(), 'stuck', ['JobDataLeft']);
    expect((await objects(`${job.status!.checkpoints!.lastCompleted!.path}/`)).length).toBeGreaterThan(0);
    await proxy.restore();
  });
});
