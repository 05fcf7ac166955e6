/**
 * Offset look-ups of the Kafka source (I/O): ListOffsets by timestamp (earliest, latest, a
 * time) and the consumer group's committed offsets, for where partitions start
 * (docs/connectors.md "Source").
 */
import { Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import { splitId } from './kafka-partitions.ts';
import type { ResolvedKafkaSourceOptions } from './kafka-source-options.ts';

/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/**
 * ListOffsets for `parts` at `timestamp` (ms, or ListOffsetTimestamps.EARLIEST / LATEST).
 * @returns split id → offset; partitions without an answer (no record at or after the time) are absent
 */
export async function listOffsets(
  consumer: Consumer,
  parts: TopicPartition[],
  timestamp: bigint,
  isolationLevel: number,
): Promise<Map<string, bigint>> {
  const topics = [...new Set(parts.map((p) => p.topic))];
  const partitions: Record<string, number[]> = {};
  for (const p of parts) (partitions[p.topic] ??= []).push(p.partition);
  const found = await consumer.listOffsets({ topics, partitions, timestamp, isolationLevel });
  const out = new Map<string, bigint>();
  for (const p of parts) {
    const v = found.get(p.topic)?.[p.partition];
    if (v !== undefined && v >= 0n) out.set(splitId(p.topic, p.partition), v);
  }
  return out;
}

/**
 * Where `parts` start: on a fresh start as `startingOffsets` says, otherwise (partitions that
 * appeared after the snapshot, or were discovered while running) at the earliest offset.
 * @returns split id → offset, for every partition of `parts`
 */
export async function startOffsets(
  consumer: Consumer,
  o: ResolvedKafkaSourceOptions,
  clientId: string,
  parts: TopicPartition[],
  fresh: boolean,
  isolationLevel: number,
): Promise<Map<string, bigint>> {
  const earliest = await listOffsets(consumer, parts, ListOffsetTimestamps.EARLIEST, isolationLevel);
  const latest = await listOffsets(consumer, parts, ListOffsetTimestamps.LATEST, isolationLevel);
  const so = o.startingOffsets;
  if (!fresh || so === 'earliest') return earliest;
  if (so === 'latest') return latest;
  const out = new Map<string, bigint>();
  if ('timestamp' in so) {
    const atTime = await listOffsets(consumer, parts, BigInt(so.timestamp), isolationLevel);
    for (const p of parts) {
      const id = splitId(p.topic, p.partition);
      out.set(id, atTime.get(id) ?? latest.get(id)!);
    }
    return out;
  }
  const topics = [...new Set(parts.map((p) => p.topic))].map((topic) => ({
    topic,
    partitions: parts.filter((p) => p.topic === topic).map((p) => p.partition),
  }));
  const reader = new Consumer({
    clientId,
    groupId: so.committed.groupId,
    bootstrapBrokers: o.bootstrapServers,
  });
  try {
    const committed = await reader.listCommittedOffsets({ topics });
    for (const p of parts) {
      const id = splitId(p.topic, p.partition);
      const c = committed.get(p.topic)?.[p.partition];
      const fallback = so.committed.fallback === 'latest' ? latest.get(id)! : earliest.get(id)!;
      out.set(id, c !== undefined && c >= 0n ? c : fallback);
    }
  } finally {
    await reader.close();
  }
  return out;
}
