/**
 * Small Kafka helpers for the kafka-* integration tests, on a real broker
 * (test/harness/kafka-broker.ts): create topics, produce plain records (or keyed records and
 * tombstones), and read a partition completely under an isolation level (values, or whole
 * records with keys and headers).
 */
import { Admin, Consumer, FetchIsolationLevels, Producer, stringSerializers } from '@platformatic/kafka';

/**
 * Creates `topic` with `partitions` partitions (replication factor 1) and waits until the broker's
 * metadata lists it with a leader for every partition: CreateTopics returns once the controller
 * has the topic, and on a loaded machine the broker can answer without it for a while.
 * @throws Error when the topic is not served within 30 s
 */
export async function createTopic(
  bootstrap: string,
  topic: string,
  partitions = 1,
  /** Topic configs, e.g. `{'max.message.bytes': '200'}`. */
  configs: Record<string, string> = {},
): Promise<void> {
  const admin = new Admin({ clientId: 'sluice-test-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({
      topics: [topic],
      partitions,
      replicas: 1,
      configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
    });
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

/**
 * Produces keyed records (`value: null` is a tombstone) to `partition` of `topic`, in order,
 * idempotent with acks=all. Strings are written as UTF-8.
 */
export async function produceKeyed(
  bootstrap: string,
  topic: string,
  records: Array<{ key?: string; value: string | null }>,
  partition = 0,
): Promise<void> {
  const producer = new Producer({
    clientId: 'sluice-test-producer',
    bootstrapBrokers: [bootstrap],
    idempotent: true,
  });
  try {
    await producer.send({
      messages: records.map((r) => ({
        topic,
        partition,
        key: r.key === undefined ? undefined : Buffer.from(r.key),
        value: (r.value === null ? null : Buffer.from(r.value)) as Buffer,
      })),
      acks: -1,
    });
  } finally {
    await producer.close();
  }
}

/** A record as read back by readPartitionRecords: key and value as UTF-8 (null when absent), headers as UTF-8 pairs. */
export interface ReadRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
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
  const records = await readPartitionRecords(bootstrap, topic, isolation, partition, timeoutMs);
  return records.map((r) => r.value ?? '');
}

/**
 * Like readPartition, with each record's offset, key and headers (read_uncommitted by default).
 * @throws Error after `timeoutMs` (default 30 s) naming what was read so far
 */
export async function readPartitionRecords(
  bootstrap: string,
  topic: string,
  isolation: 'read_committed' | 'read_uncommitted' = 'read_uncommitted',
  partition = 0,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const endOffset = await produce(bootstrap, topic, [END], partition);
  const consumer = new Consumer({
    clientId: 'sluice-test-reader',
    groupId: `sluice-test-reader-${process.pid}-${Date.now()}-${Math.random()}`,
    bootstrapBrokers: [bootstrap],
    maxWaitTime: 200,
    isolationLevel:
      isolation === 'read_committed'
        ? FetchIsolationLevels.READ_COMMITTED
        : FetchIsolationLevels.READ_UNCOMMITTED,
  });
  const got = new Map<bigint, ReadRecord>();
  const text = (b: Buffer | null | undefined) => (b === null || b === undefined ? null : b.toString('utf8'));
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const timer = setTimeout(
    () =>
      stream.destroy(
        new Error(
          `no end marker on ${topic}/${partition} after ${timeoutMs} ms; read ${[...got.values()].map((r) => r.value).join(',')}`,
        ),
      ),
    timeoutMs,
  );
  try {
    for await (const m of stream) {
      if (m.partition !== partition) continue;
      // A group consumer in mode `earliest` starts over after a rebalance: key by offset.
      if (m.offset >= endOffset) break;
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers) headers[text(k) ?? ''] = text(v) ?? '';
      got.set(m.offset, { offset: m.offset, key: text(m.key), value: text(m.value), headers });
    }
  } finally {
    clearTimeout(timer);
    await stream.close().catch(() => undefined);
    await consumer.close(true);
  }
  return [...got.values()].sort((a, b) => (a.offset < b.offset ? -1 : 1)).filter((r) => r.value !== END);
}
