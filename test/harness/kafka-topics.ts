/**
 * Small Kafka helpers for the kafka-* integration tests, on a real broker
 * (test/harness/kafka-broker.ts): create topics, produce plain records, and read a partition
 * completely under an isolation level.
 */
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';

/**
 * Creates `topic` with `partitions` partitions (replication factor 1) and waits until the broker's
 * metadata lists it with a leader for every partition: CreateTopics returns once the controller
 * has the topic, and on a loaded machine the broker can answer without it for a while.
 * @throws Error when the topic is not served within 30 s
 */
export async function createTopic(bootstrap: string, topic: string, partitions = 1): Promise<void> {
  const admin = new Admin({ clientId: 'sluice-test-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const md = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      const t = md?.topics.get(topic);
      if (t && t.partitionsCount === partitions && t.partitions.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`topic ${topic} was created but not served after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.close();
  }
}

/**
 * Produces `values` (non-transactional, idempotent, acks=all) to `partition` of `topic`, in
 * order. Idempotent so a send retried after a timeout cannot append a record twice.
 * @returns the offset of the first one
 */
export async function produce(
  bootstrap: string,
  topic: string,
  values: string[],
  partition = 0,
): Promise<bigint> {
  const producer = new Producer({
    clientId: 'sluice-test-producer',
    bootstrapBrokers: [bootstrap],
    serializers: stringSerializers,
    idempotent: true,
  });
  try {
    const r = await producer.send({
      messages: values.map((value) => ({ topic, value, partition })),
      acks: -1,
    });
    const first = r.offsets?.find((o) => o.topic === topic && o.partition === partition)?.offset;
    if (first === undefined) throw new Error(`no offset reported for ${topic}/${partition}`);
    return BigInt(first);
  } finally {
    await producer.close();
  }
}

const END = '__sluice_test_end__';

/**
 * Every record of one partition, in offset order, as a consumer with `isolation` sees it.
 * Appends a plain end marker first and reads until it arrives, so the answer is complete
 * without waiting on a timer: under read_committed the marker only arrives once every
 * transaction before it is ended (the last stable offset passes it), so callers end open
 * transactions first. The marker is not returned.
 * @throws Error after `timeoutMs` (default 30 s) naming what was read so far
 */
export async function readPartition(
  bootstrap: string,
  topic: string,
  isolation: 'read_committed' | 'read_uncommitted',
  partition = 0,
  timeoutMs = 30_000,
): Promise<string[]> {
  const endOffset = await produce(bootstrap, topic, [END], partition);
  const consumer = new Consumer({
    clientId: 'sluice-test-reader',
    groupId: `sluice-test-reader-${process.pid}-${Date.now()}-${Math.random()}`,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
    isolationLevel:
      isolation === 'read_committed'
        ? FetchIsolationLevels.READ_COMMITTED
        : FetchIsolationLevels.READ_UNCOMMITTED,
  });
  const got = new Map<bigint, string>();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const timer = setTimeout(
    () =>
      stream.destroy(
        new Error(
          `no end marker on ${topic}/${partition} after ${timeoutMs} ms; read ${[...got.values()].join(',')}`,
        ),
      ),
    timeoutMs,
  );
  try {
    for await (const m of stream) {
      if (m.partition !== partition) continue;
      // A group consumer in mode `earliest` starts over after a rebalance: key by offset.
      if (m.offset >= endOffset) break;
      got.set(m.offset, m.value);
    }
  } finally {
    clearTimeout(timer);
    await stream.close().catch(() => undefined);
    await consumer.close(true);
  }
  return [...got.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([, v]) => v)
    .filter((v) => v !== END);
}
