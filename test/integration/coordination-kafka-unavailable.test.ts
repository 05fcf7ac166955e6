/**
 * Kafka faults as the operator sees them, on real workers (process kubelet), a real broker and a
 * real kube-apiserver (docs/connectors.md "Unreachable brokers and missing topics"):
 * - a topic that does not exist yet: Degraded `KafkaUnavailable` naming the topic, a Warning
 *   Event, restarts with backoff that leave the restart budget alone; once the topic exists the
 *   job runs, and its first completed checkpoint resets the backoff;
 * - a sink transaction timeout the checkpoint interval + timeout does not fit under: Failed
 *   `InvalidSinkConfig` after the first attempt, without restarts;
 * - the broker stopped for longer than the checkpoint timeout while an exactly-once job writes
 *   to it, then restarted on the same data: checkpoints fail visibly, the job recovers and its
 *   output, read with read_committed, counts the corpus exactly once.
 */
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { eventsAbout, waitFor, type InProcessOperator } from '../harness/operator.ts';
import { expectExactlyOnce } from '../harness/wordcount-reference.ts';
import {
  corpusWordcountJob,
  waitFinished,
  startFixtureOperator,
  startWordcountFixture,
  stopWordcountFixture,
  type WordcountFixture,
} from '../harness/coordination-fixture.ts';
import { startKafkaBroker, type KafkaBroker } from '../harness/kafka-broker.ts';
import { createTopic, produce, readPartition } from '../harness/kafka-topics.ts';

jest.setTimeout(180_000);

describe('Kafka faults (operator + real workers + real broker)', () => {
  let fixture: WordcountFixture | undefined;
  let operator: InProcessOperator;
  let broker: KafkaBroker;

  beforeAll(async () => {
    fixture = await startWordcountFixture('coordination-kafka', 7);
    operator = await startFixtureOperator(fixture);
    broker = await startKafkaBroker(join(fixture.env.state.workDir, `coordination-kafka-${process.pid}`));
  }, 120_000);

  afterAll(async () => {
    await broker?.stop();
    await stopWordcountFixture(fixture, operator);
  });

  it('restarts while a topic is missing outside the restart budget, Degraded KafkaUnavailable, and runs once it exists', async () => {
    const f = fixture!;
    const manifest = corpusWordcountJob('kmissing', {
      output: 'kmissing-out/',
      spec: {
        // One restart of budget: the unavailable topic must not spend it.
        restartPolicy: {
          maxRestarts: 1,
          backoffSeconds: 1,
          maxBackoffSeconds: 2,
          notReadyTimeoutSeconds: 120,
        },
      },
    });
    manifest.spec.job.config = {
      input: { kafka: { bootstrapServers: [broker.bootstrap], topics: ['late-lines'] } },
      output: { s3: { prefix: 'kmissing-out/' } },
    };
    await f.jobs.create(manifest);

    const degraded = await waitFor(
      'Degraded KafkaUnavailable after more restarts than the budget allows',
      async () => {
        const j = await f.jobs.get('kmissing');
        const c = j.status?.conditions?.find((x) => x.type === 'Degraded');
        return (
          c?.status === 'True' &&
          c.reason === 'KafkaUnavailable' &&
          (j.status?.unavailableRestarts ?? 0) >= 2 &&
          j
        );
      },
      90_000,
    );
    expect(degraded.status?.phase).not.toBe('Failed');
    expect(degraded.status?.restarts ?? 0).toBe(0);
    expect(degraded.status?.attemptReason).toBe('KafkaUnavailable');
    const warning = await waitFor('a Warning Event KafkaUnavailable naming the topic', async () =>
      (await eventsAbout(f.env.kubeConfig, f.env.namespace, 'kmissing')).find(
        (e) => e.type === 'Warning' && e.reason === 'KafkaUnavailable' && e.note?.includes('late-lines'),
      ),
    );
    // The broker answers the metadata request for a missing topic with UNKNOWN_TOPIC_OR_PARTITION.
    expect(warning.note).toContain(`topic late-lines does not exist on ${broker.bootstrap}`);
    expect(warning.note).toMatch(
      /^worker kmissing-\d-\d cannot use Kafka: .*late-lines.*; restarted with backoff, not counted against the restart budget/,
    );
    expect(warning.note).toContain(broker.bootstrap);

    await createTopic(broker.bootstrap, 'late-lines', 2);
    await produce(broker.bootstrap, 'late-lines', ['to be or not to be', 'that is the question'], 0);
    const running = await waitFor(
      'a completed checkpoint, the backoff reset and Degraded cleared',
      async () => {
        const j = await f.jobs.get('kmissing');
        const c = j.status?.conditions?.find((x) => x.type === 'Degraded');
        return (
          j.status?.checkpoints?.lastCompleted !== undefined &&
          j.status.unavailableRestarts === undefined &&
          c?.status === 'False' &&
          j
        );
      },
      90_000,
    );
    expect(running.status?.phase).toBe('Running');
    expect(running.status?.restarts ?? 0).toBe(0);
  });

  it('fails at the first attempt when the sink transaction timeout does not cover checkpoint interval + timeout', async () => {
    const f = fixture!;
    const manifest = corpusWordcountJob('ktimeout', {
      output: 'unused/',
      spec: {
        restartPolicy: {
          maxRestarts: 5,
          backoffSeconds: 1,
          maxBackoffSeconds: 2,
          notReadyTimeoutSeconds: 120,
        },
        checkpoint: { intervalSeconds: 30, timeoutSeconds: 60, retained: 2 },
      },
    });
    manifest.spec.job.config = {
      input: { generator: { lines: 1000, rate: 100 } },
      output: {
        kafka: { bootstrapServers: [broker.bootstrap], topic: 'counts', transactionTimeoutMs: 60_000 },
      },
    };
    await f.jobs.create(manifest);
    const failed = await waitFor(
      'phase Failed with Degraded InvalidSinkConfig',
      async () => {
        const j = await f.jobs.get('ktimeout');
        const c = j.status?.conditions?.find((x) => x.type === 'Degraded');
        return j.status?.phase === 'Failed' && c?.reason === 'InvalidSinkConfig' && { j, c };
      },
      60_000,
    );
    expect(failed.c.message).toMatch(
      /^worker ktimeout-1-\d failed with KafkaSinkConfigError: kafkaSink: checkpoint interval 30000 ms \+ checkpoint timeout 60000 ms must be below transactionTimeoutMs 60000 ms/,
    );
    expect(failed.j.status).toMatchObject({ attempt: 1 });
    expect(failed.j.status?.restarts ?? 0).toBe(0);
  });

  it('rides out a broker restart during checkpoints: failed checkpoints, recovery, output exactly once', async () => {
    const f = fixture!;
    await createTopic(broker.bootstrap, 'restart-counts', 2);
    const manifest = corpusWordcountJob('krestart', {
      output: 'unused/',
      rate: 30,
      spec: {
        restartPolicy: {
          maxRestarts: 10,
          backoffSeconds: 1,
          maxBackoffSeconds: 2,
          notReadyTimeoutSeconds: 120,
        },
        checkpoint: { intervalSeconds: 1, timeoutSeconds: 5, retained: 2 },
      },
    });
    manifest.spec.job.config = {
      ...(manifest.spec.job.config as Record<string, unknown>),
      output: { kafka: { bootstrapServers: [broker.bootstrap], topic: 'restart-counts', keyField: 'word' } },
    };
    await f.jobs.create(manifest);
    await waitFor(
      'two completed checkpoints',
      async () => ((await f.jobs.get('krestart')).status?.checkpoints?.lastCompleted?.id ?? 0) >= 2,
      60_000,
    );
    const { port, controllerPort, dataDir } = broker;
    await broker.stop();
    const down = await waitFor(
      'a failed checkpoint or a restart while the broker is down',
      async () => {
        const s = (await f.jobs.get('krestart')).status;
        return ((s?.checkpoints?.failed ?? 0) > 0 || (s?.attempt ?? 1) > 1) && s;
      },
      60_000,
    );
    broker = await startKafkaBroker(dataDir, { port, controllerPort });
    const done = await waitFinished(f, 'krestart', 150_000);
    process.stderr.write(
      `[krestart] while down: ${down.checkpoints?.failed ?? 0} failed checkpoint(s), attempt ${down.attempt}` +
        ` (${down.checkpoints?.lastFailure?.message ?? down.attemptReason}); finished in attempt ${done.status?.attempt}\n`,
    );

    const records: Array<{ word: string; count: number }> = [];
    for (const p of [0, 1]) {
      for (const v of await readPartition(broker.bootstrap, 'restart-counts', 'read_committed', p))
        records.push(JSON.parse(v) as { word: string; count: number });
    }
    expectExactlyOnce(records, f.expected);
  });
});
