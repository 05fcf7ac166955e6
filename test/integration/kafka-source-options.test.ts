/**
 * Kafka source options in real worker processes (real broker, real MinIO): starting positions
 * (latest, a timestamp, the group's committed offsets and their fallback), a topic pattern with
 * a matching topic created while running, watermark idleness under event-time windows, and the
 * failures — a record that does not parse (topic, partition and offset in the message) and a
 * missing topic. The exactly-once, recovery and rescale paths are in kafka-source.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { jobPrefix } from '../../api/src/layout.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { startKafkaBroker, type KafkaBroker } from '../harness/kafka-broker.ts';
import { createTopic, produce } from '../harness/kafka-topics.ts';
import {
  LocalCoordinator,
  LocalJob,
  readCommittedOutput,
  type LocalJobOptions,
} from '../harness/local-workers.ts';
import { repoRoot } from '../harness/paths.ts';
import { expectExactlyOnce, reference as wordcountReference } from '../harness/wordcount-reference.ts';

const LONG = 240_000;

interface Count {
  word: string;
  count: number;
}

describe('Kafka source options in real workers', () => {
  let env: TestEnv;
  let broker: KafkaBroker;
  let logDir: string;
  const jobs: LocalJob[] = [];

  beforeAll(async () => {
    env = await setupTestEnv('kafka-source-opts');
    logDir = mkdtempSync(join(tmpdir(), 'sluice-kafka-source-opts-'));
    broker = await startKafkaBroker(join(env.state.workDir, `kafka-source-opts-${process.pid}`));
  }, LONG);

  afterEach(async () => {
    await Promise.all(jobs.splice(0).map((j) => j.stop()));
  }, LONG);

  afterAll(async () => {
    await broker?.stop();
    await env?.cleanup();
  }, LONG);

  /** A one-attempt job of the built-in wordcount; tests replace `config` (and `entry`). */
  function options(name: string, over: { parallelism: number }): LocalJobOptions {
    return {
      name,
      entry: 'wordcount',
      config: {},
      parallelism: over.parallelism,
      attempt: 0,
      minio: env.state.minio,
      bucket: env.bucket,
      storagePrefix: jobPrefix('sluice', 'local', name, `${name}-uid`),
      logDir,
    };
  }

  async function start(o: LocalJobOptions): Promise<LocalJob> {
    const job = await LocalJob.start(o);
    jobs.push(job);
    return job;
  }

  it(
    'with idleTimeoutMs, a partition without records stops holding event-time windows back',
    async () => {
      await createTopic(broker.bootstrap, 'ticks', 2);
      // Only partition 0 gets records (ts 0, 100, …, 5000); partition 1 stays empty.
      const ticks = Array.from({ length: 51 }, (_, i) => JSON.stringify({ key: 'k', ts: i * 100 }));
      await produce(broker.bootstrap, 'ticks', ticks, 0);
      const run = async (name: string, idleTimeoutMs?: number) =>
        start({
          ...options(name, { parallelism: 1 }),
          entry: join(repoRoot, 'test/harness/kafka-window-job.ts'),
          config: {
            kafka: {
              bootstrapServers: [broker.bootstrap],
              topics: ['ticks'],
              ...(idleTimeoutMs ? { idleTimeoutMs } : {}),
            },
          },
        });
      const windows = (job: LocalJob) =>
        job
          .logLines(0)
          .filter((l) => l.msg === 'record')
          .map((l) => l.record as { window: { start: number; end: number }; value: number })
          .map((r) => `${r.window.start}-${r.window.end}:${r.value}`);

      const idle = await run('ksidle', 500);
      await idle.waitRunning();
      const deadline = Date.now() + 30_000;
      while (windows(idle).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      // Watermark 4999 (max ts 5000 − 1): the windows ending at 1000 … 5000 fire, 10 records each.
      expect(windows(idle)).toEqual([
        '0-1000:10',
        '1000-2000:10',
        '2000-3000:10',
        '3000-4000:10',
        '4000-5000:10',
      ]);

      // Without idleness the empty partition holds the watermark at −∞: no window fires.
      const held = await run('ksheld');
      await held.waitFor('all ticks read', (st) => (st[0]?.recordsRead ?? 0) === ticks.length);
      await new Promise((r) => setTimeout(r, 1500));
      expect(windows(held)).toEqual([]);
    },
    LONG,
  );

  it(
    "starts at the latest offset, at a timestamp, or at the group's committed offset",
    async () => {
      await createTopic(broker.bootstrap, 'starts', 1);
      await produce(broker.bootstrap, 'starts', ['"a"', '"b"'], 0);
      await new Promise((r) => setTimeout(r, 50));
      const t = Date.now();
      await new Promise((r) => setTimeout(r, 50));
      await produce(broker.bootstrap, 'starts', ['"c"', '"d"'], 0);
      const admin = new Admin({ clientId: 'kafka-source-test', bootstrapBrokers: [broker.bootstrap] });
      await admin.alterConsumerGroupOffsets({
        groupId: 'starts-group',
        topics: [{ name: 'starts', partitionOffsets: [{ partition: 0, offset: 1n }] }],
      });
      await admin.close();

      const run = (name: string, startingOffsets: unknown) =>
        start({
          ...options(name, { parallelism: 1 }),
          entry: join(repoRoot, 'test/harness/kafka-jsonl-job.ts'),
          config: { kafka: { bootstrapServers: [broker.bootstrap], topics: ['starts'], startingOffsets } },
        });
      const records = (job: LocalJob) =>
        job
          .logLines(0)
          .filter((l) => l.msg === 'record')
          .map((l) => l.record);
      const read = async (job: LocalJob, n: number) => {
        await job.waitFor(`${n} records read`, (st) => (st[0]?.recordsRead ?? 0) >= n);
        await new Promise((r) => setTimeout(r, 300));
        return records(job);
      };

      const latest = await run('kslatest', 'latest');
      await latest.waitRunning();
      await produce(broker.bootstrap, 'starts', ['"e"'], 0);
      expect(await read(latest, 1)).toEqual(['e']);
      expect(await read(await run('kstime', { timestamp: t }), 3)).toEqual(['c', 'd', 'e']);
      expect(await read(await run('kscommitted', { committed: { groupId: 'starts-group' } }), 4)).toEqual([
        'b',
        'c',
        'd',
        'e',
      ]);
      // A group without committed offsets falls back to earliest (the default fallback).
      expect(await read(await run('ksfallback', { committed: { groupId: 'no-offsets' } }), 5)).toEqual([
        'a',
        'b',
        'c',
        'd',
        'e',
      ]);
    },
    LONG,
  );

  it(
    'reads the topics matching a pattern, also one created while running, and no other',
    async () => {
      await createTopic(broker.bootstrap, 'pat-a', 2);
      await createTopic(broker.bootstrap, 'unmatched-pat-a', 1);
      await produce(broker.bootstrap, 'pat-a', ['red green'], 0);
      await produce(broker.bootstrap, 'pat-a', ['green'], 1);
      await produce(broker.bootstrap, 'unmatched-pat-a', ['never counted'], 0);
      const o = options('kspattern', { parallelism: 2 });
      const job = await start({
        ...o,
        config: {
          input: {
            kafka: {
              bootstrapServers: [broker.bootstrap],
              topicPattern: 'pat-.*',
              partitionDiscoveryIntervalMs: 300,
            },
          },
          output: { s3: { prefix: 'kspattern-out/' } },
        },
      });
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      await job.waitRunning();
      const written = (n: number) => (st: Array<{ recordsWritten?: number } | null>) =>
        st.reduce((sum, x) => sum + (x?.recordsWritten ?? 0), 0) === n;
      await job.waitFor('pat-a counted', written(3));
      await createTopic(broker.bootstrap, 'pat-b', 1);
      await produce(broker.bootstrap, 'pat-b', ['blue red'], 0);
      const all = wordcountReference(['red green', 'green', 'blue red']);
      await job.waitFor(
        'pat-b assigned and counted',
        (st) => written(all.length)(st) && st.reduce((n, x) => n + (x?.splits ?? 0), 0) === 3,
      );
      await coord.checkpoint(job);
      let out: Count[] = [];
      for (const deadline = Date.now() + 60_000; out.length < all.length && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 200));
        out = await readCommittedOutput<Count>(env.minio, env.bucket, 'kspattern-out/');
      }
      expectExactlyOnce(out, all);
    },
    LONG,
  );

  it(
    'fails the worker on a record that does not parse, naming topic, partition and offset',
    async () => {
      await createTopic(broker.bootstrap, 'events', 1);
      await produce(broker.bootstrap, 'events', ['{"n":1}', '{"n":2}', '{not json', '{"n":4}'], 0);
      const job = await start({
        ...options('ksbad', { parallelism: 1 }),
        entry: join(repoRoot, 'test/harness/kafka-jsonl-job.ts'),
        config: { kafka: { bootstrapServers: [broker.bootstrap], topics: ['events'] } },
      });
      const exit = await job.workers[0]!.exit;
      expect(exit.code).toBe(1);
      expect(job.fatal(0)).toMatchObject({
        event: 'worker-failed',
        stage: 'run',
        reason: 'KafkaSourceError',
      });
      expect(String(job.fatal(0)?.msg)).toMatch(/^topic events partition 0 offset 2: the value is not JSON/);
    },
    LONG,
  );

  it(
    'fails at start naming a topic that does not exist',
    async () => {
      const job = await start({
        ...options('ksmissing', { parallelism: 1 }),
        config: {
          input: { kafka: { bootstrapServers: [broker.bootstrap], topics: ['no-such-topic'] } },
          output: { log: {} },
        },
      });
      expect((await job.workers[0]!.exit).code).toBe(1);
      expect(job.fatal(0)).toMatchObject({ reason: 'KafkaUnavailableError' });
      expect(String(job.fatal(0)?.msg)).toBe(`topic no-such-topic does not exist on ${broker.bootstrap}`);
    },
    LONG,
  );
});
