/**
 * Kafka source options in real worker processes (real broker, real MinIO): starting positions
 * (latest, a timestamp, the group's committed offsets and their fallback), a topic pattern with
 * a matching topic created while running, watermark idleness under event-time windows, and the
 * failures — a record that does not parse (topic, partition and offset in the message) and a
 * missing topic; the consumer lag gauge draining to 0 on /metrics, the offsets of completed
 * checkpoints committed to a consumer group (monitoring), and the dead-letter topic (bad records
 * written there with their origin, the job going on; a dead letter that cannot be written, or a
 * missing dead-letter topic, failing the worker). The exactly-once, recovery and rescale paths
 * are in kafka-source.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { jobPrefix } from '@sluice/api/layout.ts';
import { loadRestoredState } from '../../runtime-image/src/checkpoint/restore.ts';
import { ObjectStore } from '../../runtime-image/src/io/object-store.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { startKafkaBroker, type KafkaBroker } from '../harness/kafka-broker.ts';
import { createTopic, produce, produceKeyed, readPartitionRecords } from '../harness/kafka-topics.ts';
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

/** Series of a Prometheus text scrape: `name{labels}` → value. */
async function scrape(healthUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${healthUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const lagSeries = (topic: string, partition: number) =>
  `sluice_kafka_source_lag_records{topic="${topic}",partition="${partition}"}`;

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
    "exports each partition's lag, draining to 0, and commits each completed checkpoint's offsets to the group",
    async () => {
      await createTopic(broker.bootstrap, 'lagged', 2);
      const n = 40;
      for (const p of [0, 1])
        await produce(
          broker.bootstrap,
          'lagged',
          Array.from({ length: n }, (_, i) => JSON.stringify({ p, i })),
          p,
        );
      const o = options('kslag', { parallelism: 1 });
      const job = await start({
        ...o,
        health: true,
        entry: join(repoRoot, 'test/harness/kafka-jsonl-job.ts'),
        // 20 records/s: about 4 s to read both partitions, so lag > 0 can be seen on the way.
        config: {
          kafka: {
            bootstrapServers: [broker.bootstrap],
            topics: ['lagged'],
            rate: 20,
            groupId: 'lagged-group',
          },
        },
      });
      await job.waitRunning();
      const healthUrl = job.workers[0]!.healthUrl!;
      const seen: Array<[number, number]> = [];
      let scraping = true;
      const scraper = (async () => {
        while (scraping) {
          const m = await scrape(healthUrl).catch(() => new Map<string, number>());
          const a = m.get(lagSeries('lagged', 0));
          const b = m.get(lagSeries('lagged', 1));
          if (a !== undefined && b !== undefined) seen.push([a, b]);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();

      const admin = new Admin({ clientId: 'kafka-source-test', bootstrapBrokers: [broker.bootstrap] });
      const committed = async () => {
        const [g] = await admin.listConsumerGroupOffsets({ groups: ['lagged-group'] });
        const out: Record<string, number> = {};
        for (const t of g?.topics ?? [])
          for (const p of t.partitions)
            if (p.committedOffset >= 0n) out[`${t.name}/${p.partitionIndex}`] = Number(p.committedOffset);
        return out;
      };
      const store = new ObjectStore(env.minio, env.bucket);
      const snapshotOffsets = async (path: string) => {
        const st = await loadRestoredState(
          store,
          path,
          { subtask: 0, parallelism: 1, maxParallelism: 128 },
          { jobBucket: env.bucket, jobPrefix: o.storagePrefix, snapshotKey: undefined },
        );
        const out: Record<string, number> = {};
        for (const states of st.operatorStates.values())
          for (const s of states.flat() as Array<{ topic?: string; partition?: number; offset?: number }>)
            if (typeof s?.topic === 'string') out[`${s.topic}/${s.partition}`] = s.offset!;
        return out;
      };
      const waitCommitted = async (want: Record<string, number>) => {
        let got: Record<string, number> = {};
        for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
          got = await committed();
          if (JSON.stringify(got) === JSON.stringify(want)) return got;
          await new Promise((r) => setTimeout(r, 200));
        }
        return got;
      };
      try {
        const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
        await job.waitFor('part of the input read', (st) => (st[0]?.recordsRead ?? 0) >= 20);
        const c1 = await coord.checkpoint(job);
        const s1 = await snapshotOffsets(c1.path);
        // Taken mid-way: the snapshot is behind the end of the input.
        expect(s1['lagged/0']! + s1['lagged/1']!).toBeLessThan(2 * n);
        expect(await waitCommitted(s1)).toEqual(s1);

        await job.waitFor('all read', (st) => (st[0]?.recordsRead ?? 0) === 2 * n);
        for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
          const last = seen.at(-1);
          if (last && last[0] === 0 && last[1] === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        // The lag was seen above 0 while reading, and is 0 once everything is read.
        expect(Math.max(...seen.map(([a, b]) => a + b))).toBeGreaterThan(0);
        expect(seen.at(-1)).toEqual([0, 0]);
        // The group still holds checkpoint 1's offsets, not the current ones.
        expect(await committed()).toEqual(s1);

        const c2 = await coord.checkpoint(job);
        const s2 = await snapshotOffsets(c2.path);
        expect(s2).toEqual({ 'lagged/0': n, 'lagged/1': n });
        expect(await waitCommitted(s2)).toEqual(s2);
      } finally {
        scraping = false;
        await scraper;
        await admin.close();
      }
    },
    LONG,
  );

  it(
    'writes records that do not parse to the dead-letter topic with their origin, and goes on',
    async () => {
      await createTopic(broker.bootstrap, 'dlq-in', 2);
      await createTopic(broker.bootstrap, 'dlq-out', 1);
      await produceKeyed(
        broker.bootstrap,
        'dlq-in',
        [
          { key: 'g1', value: '{"n":1}' },
          { key: 'b1', value: '{not json' },
          { value: '{"n":2}' },
          { key: 'b2', value: null },
        ],
        0,
      );
      await produceKeyed(
        broker.bootstrap,
        'dlq-in',
        [{ value: '{"n":3}' }, { key: 'b3', value: 'secret-payload' }, { value: '{"n":4}' }],
        1,
      );
      const job = await start({
        ...options('ksdlq', { parallelism: 1 }),
        health: true,
        entry: join(repoRoot, 'test/harness/kafka-jsonl-job.ts'),
        config: {
          kafka: { bootstrapServers: [broker.bootstrap], topics: ['dlq-in'], deadLetterTopic: 'dlq-out' },
        },
      });
      await job.waitRunning();
      const healthUrl = job.workers[0]!.healthUrl!;
      let m = new Map<string, number>();
      const dead = (p: number) =>
        m.get(`sluice_kafka_source_dead_letter_records_total{topic="dlq-in",partition="${p}"}`);
      // The counter counts acknowledged dead letters: the first write also sets up the producer.
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        m = await scrape(healthUrl);
        if (
          m.get(lagSeries('dlq-in', 0)) === 0 &&
          m.get(lagSeries('dlq-in', 1)) === 0 &&
          dead(0)! + dead(1)! === 3
        )
          break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect([m.get(lagSeries('dlq-in', 0)), m.get(lagSeries('dlq-in', 1))]).toEqual([0, 0]);
      expect([dead(0), dead(1)]).toEqual([2, 1]);
      expect(job.hasExited(0)).toBe(false);

      const good = job
        .logLines(0)
        .filter((l) => l.msg === 'record')
        .map((l) => (l.record as { n: number }).n)
        .sort();
      expect(good).toEqual([1, 2, 3, 4]);

      const letters = (await readPartitionRecords(broker.bootstrap, 'dlq-out')).map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
      }));
      const origin = (l: (typeof letters)[number]) =>
        `${l.headers['sluice.source.partition']}/${l.headers['sluice.source.offset']}`;
      letters.sort((a, b) => (origin(a) < origin(b) ? -1 : 1));
      expect(letters).toEqual([
        {
          key: 'b1',
          value: '{not json',
          headers: {
            'sluice.source.topic': 'dlq-in',
            'sluice.source.partition': '0',
            'sluice.source.offset': '1',
            'sluice.error': expect.stringMatching(
              /^topic dlq-in partition 0 offset 1: the value is not JSON/,
            ),
          },
        },
        {
          key: 'b2',
          value: null,
          headers: {
            'sluice.source.topic': 'dlq-in',
            'sluice.source.partition': '0',
            'sluice.source.offset': '3',
            'sluice.error': 'topic dlq-in partition 0 offset 3: the record has no value (a tombstone)',
          },
        },
        {
          key: 'b3',
          value: 'secret-payload',
          headers: {
            'sluice.source.topic': 'dlq-in',
            'sluice.source.partition': '1',
            'sluice.source.offset': '1',
            'sluice.error': expect.stringMatching(
              /^topic dlq-in partition 1 offset 1: the value is not JSON/,
            ),
          },
        },
      ]);
      // Each one logged with its origin and reason, never its payload (JSON.parse quotes it in its message).
      const logged = job.logLines(0).filter((l) => String(l.msg).includes('dead-letter topic'));
      expect(
        logged.map((l) => `${l.level} ${l.topic}/${l.partition}@${l.offset} ${l.reason}`).sort(),
      ).toEqual(['warn dlq-in/0@1 not-json', 'warn dlq-in/0@3 tombstone', 'warn dlq-in/1@1 not-json']);
      expect(letters[2]!.headers['sluice.error']).toContain('secret-payload');
      expect(JSON.stringify(job.logLines(0))).not.toMatch(/not json|secret-payload/);
    },
    LONG,
  );

  it(
    'writes the dead letters since the restored checkpoint again (at-least-once into the dead-letter topic)',
    async () => {
      await createTopic(broker.bootstrap, 'dlq-re-in', 1);
      await createTopic(broker.bootstrap, 'dlq-re-out', 1);
      await produce(broker.bootstrap, 'dlq-re-in', ['{"n":1}', 'bad one', '{"n":2}'], 0);
      const o: LocalJobOptions = {
        ...options('ksdlqre', { parallelism: 1 }),
        health: true,
        entry: join(repoRoot, 'test/harness/kafka-jsonl-job.ts'),
        config: {
          kafka: {
            bootstrapServers: [broker.bootstrap],
            topics: ['dlq-re-in'],
            deadLetterTopic: 'dlq-re-out',
          },
        },
      };
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const deadLetters = async (job: LocalJob) =>
        (await scrape(job.workers[0]!.healthUrl!)).get(
          'sluice_kafka_source_dead_letter_records_total{topic="dlq-re-in",partition="0"}',
        );
      const waitDeadLetters = async (job: LocalJob, want: number) => {
        for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
          if ((await deadLetters(job).catch(() => undefined)) === want) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`dead-letter counter never reached ${want}`);
      };
      const first = await start(o);
      await first.waitRunning();
      await first.waitFor('2 records read', (st) => (st[0]?.recordsRead ?? 0) === 2);
      await waitDeadLetters(first, 1);
      // Checkpoint 1 holds offset 3: 'bad one' (offset 1) is before it.
      const chk = await coord.checkpoint(first);
      await produce(broker.bootstrap, 'dlq-re-in', ['bad two', '{"n":3}'], 0);
      await first.waitFor('3 records read', (st) => (st[0]?.recordsRead ?? 0) === 3);
      await waitDeadLetters(first, 2);
      first.kill(0, 'SIGKILL');
      await first.workers[0]!.exit;

      const restored = await start({ ...o, attempt: 1, restoreFrom: chk.path });
      await restored.waitRunning();
      await restored.waitFor('1 record read again', (st) => (st[0]?.recordsRead ?? 0) === 1);
      await waitDeadLetters(restored, 1);
      const letters = await readPartitionRecords(broker.bootstrap, 'dlq-re-out');
      // 'bad two' (offset 3), after the checkpoint, is written again by the restored attempt.
      expect(letters.map((l) => `${l.headers['sluice.source.offset']}:${l.value}`)).toEqual([
        '1:bad one',
        '3:bad two',
        '3:bad two',
      ]);
      expect(
        restored
          .logLines(0)
          .filter((l) => l.msg === 'record')
          .map((l) => (l.record as { n: number }).n),
      ).toEqual([3]);
    },
    LONG,
  );

  it(
    'fails the worker when a dead letter cannot be written, or the dead-letter topic does not exist',
    async () => {
      await createTopic(broker.bootstrap, 'dlq-big-in', 1);
      // The dead-letter topic refuses records over 200 bytes.
      await createTopic(broker.bootstrap, 'dlq-small', 1, { 'max.message.bytes': '200' });
      await produce(broker.bootstrap, 'dlq-big-in', ['{"n":1}', `not json ${'x'.repeat(1000)}`], 0);
      const job = await start({
        ...options('ksdlqfail', { parallelism: 1 }),
        entry: join(repoRoot, 'test/harness/kafka-jsonl-job.ts'),
        config: {
          kafka: {
            bootstrapServers: [broker.bootstrap],
            topics: ['dlq-big-in'],
            deadLetterTopic: 'dlq-small',
          },
        },
      });
      expect((await job.workers[0]!.exit).code).toBe(1);
      expect(job.fatal(0)).toMatchObject({ reason: 'KafkaSourceError' });
      expect(String(job.fatal(0)?.msg)).toMatch(
        /^topic dlq-big-in partition 0 offset 1: writing the dead letter to topic dlq-small failed with MESSAGE_TOO_LARGE/,
      );

      const missing = await start({
        ...options('ksdlqmissing', { parallelism: 1 }),
        entry: join(repoRoot, 'test/harness/kafka-jsonl-job.ts'),
        config: {
          kafka: {
            bootstrapServers: [broker.bootstrap],
            topics: ['dlq-big-in'],
            deadLetterTopic: 'no-such-dlq',
          },
        },
      });
      expect((await missing.workers[0]!.exit).code).toBe(1);
      expect(missing.fatal(0)).toMatchObject({ reason: 'KafkaUnavailableError' });
      expect(String(missing.fatal(0)?.msg)).toContain('dead-letter topic no-such-dlq does not exist');
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
