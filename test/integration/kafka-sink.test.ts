/**
 * The exactly-once Kafka sink in real worker processes (real broker, real MinIO): the built-in
 * wordcount reads a 6-partition topic and writes `{word, count}` to a 3-partition topic
 * (`output: {kafka}`), read back with read_committed and compared with a reference count.
 * Output is flushed at the barrier but invisible until the checkpoint's commit; after a worker
 * is SIGKILLed and the job restored from checkpoint N, the transactions of N are committed by
 * the restored attempt and those of the later checkpoint N+1 (flushed, never restored) aborted;
 * at-least-once delivery writes every record.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka';
import { jobPrefix } from '@sluice/api/layout.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { startKafkaBroker, type KafkaBroker } from '../harness/kafka-broker.ts';
import { createTopic, produce, readPartition } from '../harness/kafka-topics.ts';
import { expectFinishedAt } from '../harness/local-job-expect.ts';
import { LocalCoordinator, LocalJob, type LocalJobOptions } from '../harness/local-workers.ts';
import {
  corpus,
  expectExactlyOnce,
  reference as wordcountReference,
} from '../harness/wordcount-reference.ts';

const LONG = 240_000;
const IN_PARTITIONS = 6;
const OUT_PARTITIONS = 3;

interface Count {
  word: string;
  count: number;
}

describe('Kafka sink (exactly-once) in real workers', () => {
  let env: TestEnv;
  let broker: KafkaBroker;
  let logDir: string;
  let reference: string[];
  const jobs: LocalJob[] = [];

  beforeAll(async () => {
    env = await setupTestEnv('kafka-sink');
    logDir = mkdtempSync(join(tmpdir(), 'sluice-kafka-sink-'));
    broker = await startKafkaBroker(join(env.state.workDir, `kafka-sink-${process.pid}`));
    await createTopic(broker.bootstrap, 'lines', IN_PARTITIONS);
    const lines = [...corpus(3, 600, 23).values()].flatMap((t) => t.split('\n').filter((l) => l.length > 0));
    for (let p = 0; p < IN_PARTITIONS; p++) {
      await produce(
        broker.bootstrap,
        'lines',
        lines.filter((_, i) => i % IN_PARTITIONS === p),
        p,
      );
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

  function options(name: string, rate?: number): LocalJobOptions {
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
        output: {
          kafka: {
            bootstrapServers: [broker.bootstrap],
            topic: `${name}-counts`,
            keyField: 'word',
            transactionalIdPrefix: name,
          },
        },
      },
      parallelism: 3,
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

  /** Every record of the output topic as `isolation` sees it. */
  async function readOutput(
    topic: string,
    isolation: 'read_committed' | 'read_uncommitted',
  ): Promise<Count[]> {
    const out: Count[] = [];
    for (let p = 0; p < OUT_PARTITIONS; p++) {
      for (const v of await readPartition(broker.bootstrap, topic, isolation, p))
        out.push(JSON.parse(v) as Count);
    }
    return out;
  }

  /** Per output partition: [last stable offset, high watermark]. An open transaction keeps the first below the second. */
  async function stableAndEnd(topic: string): Promise<Array<[bigint, bigint]>> {
    const c = new Consumer({
      clientId: 'kafka-sink-test',
      groupId: 'kafka-sink-test-offsets',
      bootstrapBrokers: [broker.bootstrap],
    });
    try {
      const lso = await c.listOffsets({
        topics: [topic],
        timestamp: ListOffsetTimestamps.LATEST,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      });
      const hw = await c.listOffsets({
        topics: [topic],
        timestamp: ListOffsetTimestamps.LATEST,
        isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
      });
      return lso.get(topic)!.map((o, i) => [o, hw.get(topic)![i]!]);
    } finally {
      await c.close();
    }
  }

  it(
    'writes the counts of parallelism 3 exactly once, visible to read_committed only after the commit',
    async () => {
      await createTopic(broker.bootstrap, 'ke3-counts', OUT_PARTITIONS);
      const o = options('ke3');
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      await job.waitSourcesExhausted();
      await job.waitFor(
        'all records written',
        (s) => s.reduce((n, x) => n + (x?.recordsWritten ?? 0), 0) === reference.length,
      );
      const chk = await coord.checkpoint(job, { deliverCommit: false });
      // Flushed at the barrier (in the log), but the transactions are open: nothing is stable yet.
      const open = await stableAndEnd('ke3-counts');
      expect(open.reduce((n, [, hw]) => n + hw, 0n)).toBeGreaterThanOrEqual(BigInt(reference.length));
      expect(open.every(([lso]) => lso === 0n)).toBe(true);

      const final = await coord.checkpoint(job);
      expect(final.id).toBe(chk.id + 1);
      await expectFinishedAt(job, final.id);
      expectExactlyOnce(await readOutput('ke3-counts', 'read_committed'), reference);
    },
    LONG,
  );

  it(
    "after a SIGKILL, the restored attempt commits the restored checkpoint's transactions and aborts the later ones",
    async () => {
      await createTopic(broker.bootstrap, 'kekill-counts', OUT_PARTITIONS);
      const o = options('kekill', 60);
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      for (let i = 0; i < 2; i++) {
        await new Promise((r) => setTimeout(r, 400));
        await coord.checkpoint(job);
      }
      await new Promise((r) => setTimeout(r, 400));
      // Checkpoint 3 completes but no worker hears of it: its transactions stay prepared.
      const restored = await coord.checkpoint(job, { deliverCommit: false });
      await new Promise((r) => setTimeout(r, 400));
      // Checkpoint 4 completes too, but the job will be restored from 3 (as if 4 were lost):
      // its flushed transactions must be aborted.
      const later = await coord.checkpoint(job, { deliverCommit: false });
      expect(later.id).toBe(restored.id + 1);
      expect((await job.statuses()).some((s) => s && !s.sourceExhausted)).toBe(true);
      job.kill(1, 'SIGKILL');
      for (const i of [0, 2]) expect((await job.workers[i]!.exit).code).toBe(1);

      const job2 = await start({
        ...o,
        attempt: 1,
        restoreFrom: restored.path,
        config: options('kekill').config,
      });
      await job2.waitRunning();
      await job2.waitSourcesExhausted();
      const final = await coord.checkpoint(job2);
      await expectFinishedAt(job2, final.id);
      expect(
        job2.workers.some((w) =>
          job2.logLines(w.index).some((l) => l.msg === 'kafka sink recovered transactions'),
        ),
      ).toBe(true);

      const committed = await readOutput('kekill-counts', 'read_committed');
      expectExactlyOnce(committed, reference);
      // The aborted transactions of checkpoint 4 were written to the log: read_uncommitted sees them.
      const all = await readOutput('kekill-counts', 'read_uncommitted');
      expect(all.length).toBeGreaterThan(committed.length);
    },
    LONG,
  );

  it(
    'at-least-once delivery writes every count (no failure here, so exactly the reference)',
    async () => {
      await createTopic(broker.bootstrap, 'kealo-counts', OUT_PARTITIONS);
      const o = options('kealo');
      const config = o.config as { output: { kafka: Record<string, unknown> } };
      config.output.kafka.delivery = 'at-least-once';
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      await job.waitSourcesExhausted();
      const final = await coord.checkpoint(job);
      await expectFinishedAt(job, final.id);
      expectExactlyOnce(await readOutput('kealo-counts', 'read_uncommitted'), reference);
    },
    LONG,
  );

  it(
    'fails at start when transactionTimeoutMs exceeds the broker maximum, naming both',
    async () => {
      await createTopic(broker.bootstrap, 'ketimeout-counts', OUT_PARTITIONS);
      const o = { ...options('ketimeout'), parallelism: 1 };
      const config = o.config as { output: { kafka: Record<string, unknown> } };
      // The harness broker keeps Kafka's default transaction.max.timeout.ms, 900 000 ms.
      config.output.kafka.transactionTimeoutMs = 1_000_000;
      const job = await start(o);
      expect((await job.workers[0]!.exit).code).toBe(1);
      expect(job.fatal(0)).toMatchObject({ event: 'worker-failed', reason: 'KafkaSinkConfigError' });
      expect(String(job.fatal(0)?.msg)).toContain('refuse transactionTimeoutMs 1000000');
      expect(String(job.fatal(0)?.msg)).toContain('transaction.max.timeout.ms');
    },
    LONG,
  );

  it(
    'scale-in 3 → 2 after a SIGKILL: subtask 0 commits and aborts the transactions of the removed subtask too',
    async () => {
      await createTopic(broker.bootstrap, 'keshrink-counts', OUT_PARTITIONS);
      const o = options('keshrink', 60);
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      await new Promise((r) => setTimeout(r, 600));
      const restored = await coord.checkpoint(job, { deliverCommit: false });
      await new Promise((r) => setTimeout(r, 400));
      await coord.checkpoint(job, { deliverCommit: false });
      expect((await job.statuses()).some((s) => s && !s.sourceExhausted)).toBe(true);
      job.kill(2, 'SIGKILL');
      for (const i of [0, 1]) expect((await job.workers[i]!.exit).code).toBe(1);

      const job2 = await start({
        ...o,
        parallelism: 2,
        attempt: 1,
        restoreFrom: restored.path,
        config: options('keshrink').config,
      });
      await job2.waitRunning();
      await job2.waitSourcesExhausted();
      const final = await coord.checkpoint(job2);
      await expectFinishedAt(job2, final.id);
      expectExactlyOnce(await readOutput('keshrink-counts', 'read_committed'), reference);
    },
    LONG,
  );
});
