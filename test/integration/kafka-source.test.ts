/**
 * The Kafka source in real worker processes (real broker, real MinIO, real TCP shuffle):
 * the built-in wordcount reads a 6-partition topic (`input: {kafka}`) and commits to S3 with the
 * exactly-once S3 sink; every assertion is on the committed output against a reference count
 * computed here. Partitions are spread over the subtasks, aborted transactions are skipped
 * (read_committed), a SIGKILLed worker's job resumes from the checkpointed offsets, a
 * stop-with-savepoint at parallelism 2 resumes at 3, partitions added while running are read,
 * and reading goes on across a broker restart. Options and failures: kafka-source-options.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { jobPrefix } from '@sluice/api/layout.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { startKafkaBroker, type KafkaBroker } from '../harness/kafka-broker.ts';
import { createTopic, produce } from '../harness/kafka-topics.ts';
import { expectFinishedAt } from '../harness/local-job-expect.ts';
import {
  LocalCoordinator,
  LocalJob,
  readCommittedOutput,
  type LocalJobOptions,
} from '../harness/local-workers.ts';
import {
  corpus,
  expectExactlyOnce,
  reference as wordcountReference,
} from '../harness/wordcount-reference.ts';

const LONG = 240_000;
const PARTITIONS = 6;

interface Count {
  word: string;
  count: number;
}

describe('Kafka source in real workers', () => {
  let env: TestEnv;
  let broker: KafkaBroker;
  let logDir: string;
  let reference: string[];
  const jobs: LocalJob[] = [];

  beforeAll(async () => {
    env = await setupTestEnv('kafka-source');
    logDir = mkdtempSync(join(tmpdir(), 'sluice-kafka-source-'));
    broker = await startKafkaBroker(join(env.state.workDir, `kafka-source-${process.pid}`));
    await createTopic(broker.bootstrap, 'lines', PARTITIONS);
    // 1800 lines, line i on partition i mod 6; between them an aborted transaction of words that
    // must never be counted.
    const lines = [...corpus(3, 600, 11).values()].flatMap((t) => t.split('\n').filter((l) => l.length > 0));
    for (let p = 0; p < PARTITIONS; p++) {
      const mine = lines.filter((_, i) => i % PARTITIONS === p);
      await produce(broker.bootstrap, 'lines', mine.slice(0, 100), p);
      const tx = new Producer({
        clientId: 'kafka-source-test',
        bootstrapBrokers: [broker.bootstrap],
        serializers: stringSerializers,
        transactionalId: `kafka-source-abort-${p}`,
        idempotent: true,
        acks: -1,
        producerId: -1n,
        producerEpoch: -1,
      });
      const t = await tx.beginTransaction();
      await t.send({ messages: [{ topic: 'lines', value: 'aborted aborted never', partition: p }] });
      await t.abort();
      await tx.close();
      await produce(broker.bootstrap, 'lines', mine.slice(100), p);
    }
    reference = wordcountReference(lines);
  }, LONG);

  afterEach(async () => {
    await Promise.all(jobs.splice(0).map((j) => j.stop()));
  }, LONG);

  afterAll(async () => {
    await broker?.stop();
    await env?.cleanup();
  }, LONG);

  function options(name: string, over: Partial<LocalJobOptions> & { rate?: number } = {}): LocalJobOptions {
    const { rate, ...rest } = over;
    return {
      name,
      entry: 'wordcount',
      config: {
        input: {
          kafka: {
            bootstrapServers: [broker.bootstrap],
            topics: ['lines'],
            bounded: 'latest',
            ...(rate ? { rate } : {}),
          },
        },
        output: { s3: { prefix: `${name}-out/` } },
      },
      parallelism: 3,
      attempt: 0,
      minio: env.state.minio,
      bucket: env.bucket,
      storagePrefix: jobPrefix('sluice', 'local', name, `${name}-uid`),
      logDir,
      ...rest,
    };
  }

  async function start(o: LocalJobOptions): Promise<LocalJob> {
    const job = await LocalJob.start(o);
    jobs.push(job);
    return job;
  }

  it(
    'reads every partition once at parallelism 3, skips the aborted transaction, and commits exactly the reference',
    async () => {
      const o = options('ks3');
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      const exhausted = await job.waitSourcesExhausted();
      expect(exhausted.map((s) => s?.splits)).toEqual([2, 2, 2]);
      const chk = await coord.checkpoint(job);
      await expectFinishedAt(job, chk.id);
      const out = await readCommittedOutput<Count>(env.minio, env.bucket, 'ks3-out/');
      expect(out.some((r) => r.word === 'aborted' || r.word === 'never')).toBe(false);
      expectExactlyOnce(out, reference);
    },
    LONG,
  );

  it(
    'resumes from the checkpointed offsets after a worker is SIGKILLed: no loss, no duplicate',
    async () => {
      const o = options('kskill', { rate: 150 });
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      await new Promise((r) => setTimeout(r, 500));
      await coord.checkpoint(job);
      await new Promise((r) => setTimeout(r, 500));
      const last = await coord.checkpoint(job);
      await new Promise((r) => setTimeout(r, 400));
      expect((await job.statuses()).some((s) => s && !s.sourceExhausted)).toBe(true);
      job.kill(1, 'SIGKILL');
      for (const i of [0, 2]) expect((await job.workers[i]!.exit).code).toBe(1);

      const job2 = await start({
        ...o,
        attempt: 1,
        restoreFrom: last.path,
        config: options('kskill').config,
      });
      await job2.waitRunning();
      await job2.waitSourcesExhausted();
      const final = await coord.checkpoint(job2);
      await expectFinishedAt(job2, final.id);
      expectExactlyOnce(await readCommittedOutput<Count>(env.minio, env.bucket, 'kskill-out/'), reference);
    },
    LONG,
  );

  it(
    'rescales 2 → 3 from a stop-with-savepoint: partitions and offsets move to their new owners',
    async () => {
      const o = options('ksscale', { rate: 300, parallelism: 2 });
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      await new Promise((r) => setTimeout(r, 600));
      const sp = await coord.checkpoint(job, { kind: 'savepoint', stop: true });
      for (const w of job.workers) expect(await w.exit).toEqual({ code: 0, signal: null });
      const partial = await readCommittedOutput<Count>(env.minio, env.bucket, 'ksscale-out/');
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(reference.length);

      const job2 = await start({
        ...o,
        parallelism: 3,
        attempt: 1,
        restoreFrom: sp.path,
        config: options('ksscale').config,
      });
      await job2.waitRunning();
      const exhausted = await job2.waitSourcesExhausted();
      expect(exhausted.map((s) => s?.splits)).toEqual([2, 2, 2]);
      const final = await coord.checkpoint(job2);
      await expectFinishedAt(job2, final.id);
      expectExactlyOnce(await readCommittedOutput<Count>(env.minio, env.bucket, 'ksscale-out/'), reference);
    },
    LONG,
  );

  it(
    'reads partitions added to the topic while the job runs',
    async () => {
      await createTopic(broker.bootstrap, 'grow', 1);
      const before = ['alpha beta', 'beta gamma', 'gamma gamma'];
      const after = ['delta alpha', 'epsilon', 'delta delta beta'];
      await produce(broker.bootstrap, 'grow', before, 0);
      const o = options('ksgrow', { parallelism: 2 });
      const job = await start({
        ...o,
        config: {
          input: {
            kafka: {
              bootstrapServers: [broker.bootstrap],
              topics: ['grow'],
              partitionDiscoveryIntervalMs: 300,
            },
          },
          output: { s3: { prefix: 'ksgrow-out/' } },
        },
      });
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      await job.waitRunning();
      const written = (n: number) => (s: Array<{ recordsWritten?: number } | null>) =>
        s.reduce((sum, x) => sum + (x?.recordsWritten ?? 0), 0) === n;
      await job.waitFor('the first partition counted', written(wordcountReference(before).length));

      const admin = new Admin({ clientId: 'kafka-source-test', bootstrapBrokers: [broker.bootstrap] });
      await admin.createPartitions({ topics: [{ name: 'grow', count: 3 }] });
      await admin.close();
      await produce(broker.bootstrap, 'grow', after.slice(0, 2), 1);
      await produce(broker.bootstrap, 'grow', after.slice(2), 2);
      const all = wordcountReference([...before, ...after]);
      // Statuses are published every 100 ms: wait for the split count and the output together.
      await job.waitFor(
        'the new partitions assigned and counted',
        (st) => written(all.length)(st) && st.reduce((n, x) => n + (x?.splits ?? 0), 0) === 3,
      );
      await coord.checkpoint(job);
      // The S3 sink publishes on the commit notification, after the status shows it: poll.
      let out: Count[] = [];
      for (const deadline = Date.now() + 60_000; out.length < all.length && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 200));
        out = await readCommittedOutput<Count>(env.minio, env.bucket, 'ksgrow-out/');
      }
      expectExactlyOnce(out, all);
    },
    LONG,
  );

  it(
    'keeps reading across a broker restart (fetches are retried)',
    async () => {
      await createTopic(broker.bootstrap, 'restart', 2);
      const before = ['one two', 'two three'];
      const after = ['three four', 'four four one'];
      await produce(broker.bootstrap, 'restart', before.slice(0, 1), 0);
      await produce(broker.bootstrap, 'restart', before.slice(1), 1);
      const o = options('ksrestart', { parallelism: 2 });
      const job = await start({
        ...o,
        config: {
          input: {
            kafka: {
              bootstrapServers: [broker.bootstrap],
              topics: ['restart'],
            },
          },
          output: { s3: { prefix: 'ksrestart-out/' } },
        },
      });
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      await job.waitRunning();
      const written = (n: number) => (s: Array<{ recordsWritten?: number } | null>) =>
        s.reduce((sum, x) => sum + (x?.recordsWritten ?? 0), 0) === n;
      await job.waitFor('the records before the restart counted', written(wordcountReference(before).length));

      await broker.stop();
      await new Promise((r) => setTimeout(r, 1500));
      broker = await startKafkaBroker(broker.dataDir, {
        port: broker.port,
        controllerPort: broker.controllerPort,
      });
      await produce(broker.bootstrap, 'restart', after.slice(0, 1), 0);
      await produce(broker.bootstrap, 'restart', after.slice(1), 1);
      const all = wordcountReference([...before, ...after]);
      await job.waitFor('the records after the restart counted', written(all.length), 90_000);
      expect(job.workers.map((w) => job.hasExited(w.index))).toEqual([false, false]);
      await coord.checkpoint(job);
      let out: Count[] = [];
      for (const deadline = Date.now() + 60_000; out.length < all.length && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 200));
        out = await readCommittedOutput<Count>(env.minio, env.bucket, 'ksrestart-out/');
      }
      expectExactlyOnce(out, all);
    },
    LONG,
  );
});
