/**
 * The harness's Kafka broker is real: KRaft storage formatted, the broker answers on loopback,
 * a topic is created, records produced are consumed back in order, a restart on the same data
 * keeps them, and stop() ends the process (see test/harness/kafka-broker.ts).
 */
import { join } from 'node:path';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { brokerProperties, startKafkaBroker, type KafkaBroker } from '../harness/kafka-broker.ts';
import { createTopic } from '../harness/kafka-topics.ts';
import { readHarnessState } from '../harness/state.ts';

/**
 * Reads `count` distinct records of `topic` from the earliest offset, as (key, value, partition,
 * offset). A group consumer in mode `earliest` starts over after a rebalance of its group
 * (docs/connectors.md), so records are keyed by partition and offset.
 */
async function readTopic(bootstrap: string, topic: string, count: number) {
  const consumer = new Consumer({
    clientId: 'kafka-broker-test',
    groupId: `kafka-broker-test-${Date.now()}`,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const got = new Map<string, { key: string; value: string; partition: number; offset: bigint }>();
  try {
    for await (const m of stream) {
      got.set(`${m.partition}/${m.offset}`, {
        key: m.key,
        value: m.value,
        partition: m.partition,
        offset: m.offset,
      });
      if (got.size === count) break;
    }
  } finally {
    await stream.close();
    await consumer.close(true);
  }
  return [...got.values()].sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}

describe('Kafka broker of the harness', () => {
  let broker: KafkaBroker;

  beforeAll(async () => {
    const t0 = Date.now();
    broker = await startKafkaBroker(join(readHarnessState().workDir, `kafka-broker-${process.pid}`));
    process.stderr.write(`[kafka-broker.test] broker ${broker.bootstrap} ready in ${Date.now() - t0} ms\n`);
  }, 90_000);
  afterAll(() => broker?.stop());

  it('listens on loopback only', () => {
    const props = brokerProperties('/d', 1234, 5678);
    expect(props).toContain('listeners=PLAINTEXT://127.0.0.1:1234,CONTROLLER://127.0.0.1:5678\n');
    expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
  });

  it('round-trips records: create a topic, produce, consume them back in order', async () => {
    await createTopic(broker.bootstrap, 'roundtrip', 2);
    const admin = new Admin({ clientId: 'kafka-broker-test', bootstrapBrokers: [broker.bootstrap] });
    expect(await admin.listTopics()).toContain('roundtrip');
    await admin.close();

    const producer = new Producer({
      clientId: 'kafka-broker-test',
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
      // A send that times out is retried; only an idempotent producer lets the broker drop the
      // second copy (a plain one wrote every record twice on a loaded CI machine).
      idempotent: true,
    });
    const messages = ['a', 'b', 'c', 'd'].map((v, i) => ({
      topic: 'roundtrip',
      key: `k${i}`,
      value: v,
      partition: i % 2,
    }));
    await producer.send({ messages });
    await producer.close();

    const got = await readTopic(broker.bootstrap, 'roundtrip', 4);
    const byPartition = (p: number) => got.filter((r) => r.partition === p);
    expect(byPartition(0).map((r) => [r.key, r.value, r.offset])).toEqual([
      ['k0', 'a', 0n],
      ['k2', 'c', 1n],
    ]);
    expect(byPartition(1).map((r) => [r.key, r.value, r.offset])).toEqual([
      ['k1', 'b', 0n],
      ['k3', 'd', 1n],
    ]);
  });

  it('restarts on the same data and ports and keeps the records; stop() ends the process', async () => {
    await broker.stop();
    expect(broker.process.child.exitCode !== null || broker.process.child.signalCode !== null).toBe(true);
    broker = await startKafkaBroker(broker.dataDir, {
      port: broker.port,
      controllerPort: broker.controllerPort,
    });
    const got = await readTopic(broker.bootstrap, 'roundtrip', 4);
    expect(got.map((r) => r.value).sort()).toEqual(['a', 'b', 'c', 'd']);
  }, 120_000);
});
