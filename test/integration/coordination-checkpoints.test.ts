/**
 * The checkpoint coordinator end to end (test/harness/coordination-fixture.ts): the operator's
 * Manager in this process, the harness's real API server and MinIO, and real worker processes
 * (runtime-image) launched for the pods the operator creates by the process kubelet
 * (test/harness/process-kubelet.ts). The workers take part through their own pod annotations,
 * with the RBAC the operator gave them.
 */
import { jest } from '@jest/globals';
import { jobPrefix, metadataKey, workerStateFile } from '@sluice/api/layout.ts';
import { readMetadata } from '@sluice/api/metadata-store.ts';
import type { StreamJob } from '@sluice/api/streamjob.ts';
import {
  type Jobs,
  eventsAbout,
  exampleJob,
  metricValue,
  waitFor,
  type InProcessOperator,
} from '../harness/operator.ts';
import {
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  waitFinished,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import type { TestEnv } from '../harness/env.ts';
import type { ProcessKubelet } from '../harness/process-kubelet.ts';
import { readCommittedOutput } from '../harness/local-workers.ts';
import { canonicalRows, q0Reference } from '../harness/nexmark-reference.ts';
import { nexmarkConfig, nexmarkEvent } from '../../runtime-image/src/nexmark/generator.ts';
import type { Bid } from '../../runtime-image/src/nexmark/model.ts';

jest.setTimeout(120_000);

const RETAINED = 2;
const NEXMARK = { seed: 11, eventsPerSecond: 10_000, baseTime: Date.UTC(2025, 0, 1) };
const Q0_EVENTS = 20_000;

/** The bids among the generator's first Q0_EVENTS events (Q0's input). */
function q0Bids(): Bid[] {
  const c = nexmarkConfig(NEXMARK);
  const out: Bid[] = [];
  for (let n = 0; n < Q0_EVENTS; n++) {
    const e = nexmarkEvent(c, n);
    if (e.type === 'bid') out.push(e.bid);
  }
  return out;
}

describe('checkpoint coordination (operator + real workers)', () => {
  let env: TestEnv;
  let jobs: Jobs;
  let kubelet: ProcessKubelet;
  let operator: InProcessOperator;
  let job: StreamJob;
  let fixture: WordcountFixture | undefined;

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-chk', 7);
    ({ env, jobs, kubelet } = fixture);
    operator = await startFixtureOperator(fixture);
    const manifest = exampleJob('wordcount.yaml');
    manifest.metadata.name = 'wc';
    manifest.spec.parallelism = 2;
    // Unbounded for the test's duration: a slow generator (the job is deleted at the end).
    manifest.spec.job.config = {
      input: {
        generator: { lines: 1_000_000, rate: 200, vocabulary: 50, wordsPerLine: 4, partitions: 2, seed: 7 },
      },
      output: { s3: { prefix: 'out/' } },
    };
    manifest.spec.checkpoint = { intervalSeconds: 1, timeoutSeconds: 30, retained: RETAINED };
    delete manifest.spec.podTemplate;
    job = await jobs.create(manifest);
  });

  afterAll(() => stopWordcountFixture(fixture, operator));

  /** Object names under `prefix` in the test bucket. */
  async function objects(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const o of env.minio.listObjectsV2(env.bucket, prefix, true)) if (o.name) out.push(o.name);
    return out.sort();
  }

  it('takes periodic checkpoints, writes _metadata and worker snapshots, and keeps `retained` of them', async () => {
    const prefix = jobPrefix('', env.namespace, 'wc', job.metadata!.uid!);
    const done = await waitFor(
      'four completed checkpoints',
      async () => {
        const j = await jobs.get('wc');
        return (j.status?.checkpoints?.lastCompleted?.id ?? 0) >= 4 && j;
      },
      90_000,
    );
    expect(kubelet.errors).toEqual([]);
    const last = done.status!.checkpoints!.lastCompleted!;
    expect(last.path).toBe(`${prefix}/checkpoints/chk-${last.id}`);
    expect(done.status!.conditions!.find((c) => c.type === 'CheckpointsHealthy')?.status).toBe('True');

    const meta = await readMetadata(env.minio, env.bucket, last.path);
    expect(meta).toMatchObject({ id: last.id, kind: 'checkpoint', parallelism: 2, job: { name: 'wc' } });
    const files = await objects(`${last.path}/`);
    expect(files).toEqual(
      expect.arrayContaining([
        metadataKey(last.path),
        `${last.path}/${workerStateFile(0)}`,
        `${last.path}/${workerStateFile(1)}`,
      ]),
    );

    // Retention: exactly `retained` completed checkpoints once the next one completed.
    await waitFor(
      'retention down to the configured number',
      async () => {
        const names = await objects(`${prefix}/checkpoints/`);
        const completed = names.filter((n) => n.endsWith('/_metadata'));
        return completed.length === RETAINED && completed;
      },
      30_000,
    );
    const metric = await waitFor('last-completed metric', () =>
      metricValue(operator.url, 'sluice_checkpoint_last_completed_id', {
        namespace: env.namespace,
        name: 'wc',
      }),
    );
    expect(metric).toBeGreaterThanOrEqual(4);
  });

  it('takes a savepoint for sluice.dev/savepoint=n1 and records it with its nonce', async () => {
    await jobs.annotate('wc', 'sluice.dev/savepoint', 'n1');
    const j = await waitFor(
      'savepoint n1 completed',
      async () => {
        const x = await jobs.get('wc');
        return (
          x.status?.lastHandledRequests?.savepoint?.nonce === 'n1' &&
          x.status.lastHandledRequests.savepoint.result !== 'Accepted' &&
          x
        );
      },
      60_000,
    );
    expect(j.status!.lastHandledRequests!.savepoint).toMatchObject({ nonce: 'n1', result: 'Completed' });
    const sp = j.status!.savepoints!.last!;
    expect(sp).toMatchObject({ nonce: 'n1' });
    expect(sp.path).toMatch(/\/savepoints\/sp-\d+-n1$/);
    expect(j.status!.savepoints!.history![0]).toEqual(sp);
    const meta = await readMetadata(env.minio, env.bucket, sp.path);
    expect(meta).toMatchObject({ id: sp.id, kind: 'savepoint', parallelism: 2 });
    const events = await waitFor('SavepointCompleted Event', async () => {
      const all = await eventsAbout(env.kubeConfig, env.namespace, 'wc');
      return all.some((e) => e.reason === 'SavepointCompleted') && all;
    });
    expect(events.find((e) => e.reason === 'SavepointCompleted')!.note).toContain('for request n1');
    // Periodic checkpoints go on after the savepoint (ids are shared and keep increasing).
    await waitFor('a checkpoint after the savepoint', async () => {
      const x = await jobs.get('wc');
      return (x.status?.checkpoints?.lastCompleted?.id ?? 0) > sp.id;
    });
  });

  it('finishes a bounded job without a shuffle whose workers end their input at different checkpoints', async () => {
    // Nexmark Q0 (pass-through, no shuffle) over one partition at parallelism 2: worker 1 owns no
    // split and is done from its first checkpoint, worker 0 reads for about 5 s.
    const manifest = exampleJob('wordcount.yaml');
    manifest.metadata.name = 'q0-uneven';
    delete manifest.spec.podTemplate;
    manifest.spec.parallelism = 2;
    manifest.spec.job = {
      entry: 'nexmark-q0',
      config: {
        nexmark: NEXMARK,
        events: Q0_EVENTS,
        partitions: 1,
        rate: 4000,
        output: { s3: { prefix: 'q0-uneven/' } },
      },
    };
    manifest.spec.checkpoint = { intervalSeconds: 1, timeoutSeconds: 30, retained: RETAINED };
    await jobs.create(manifest);
    const finished = await waitFinished(fixture!, 'q0-uneven', 90_000);
    expect(finished.status).toMatchObject({ attempt: 1 });
    expect(finished.status!.restarts ?? 0).toBe(0);
    const last = finished.status!.checkpoints!.lastCompleted!;
    const meta = await readMetadata(env.minio, env.bucket, last.path);
    expect(meta.workers.map((w) => w.final === true)).toEqual([true, true]);
    // Checkpoints completed while worker 0 still read: worker 1 stayed and acked them.
    expect(last.id).toBeGreaterThan(2);
    const out = await readCommittedOutput<object>(env.minio, env.bucket, 'q0-uneven/');
    expect(canonicalRows(out)).toEqual(canonicalRows(q0Reference(q0Bids())));
  });
});
