/**
 * Which subtask reads a source split. Deterministic in (split, parallelism) only, so every
 * worker agrees without coordination and a rescaled restore gives each split exactly one owner:
 *
 * - numbered splits (generator partitions): partition k → subtask k mod p;
 * - named splits (S3 objects): murmur3_x86_32(utf8(name), seed 0) mod p;
 * - Kafka topic partitions: (murmur3_x86_32(utf8(topic), seed 0) mod p + partition) mod p — the
 *   partitions of one topic go round-robin over the subtasks from a start that depends on the
 *   topic (the shape of Flink's KafkaSourceEnumerator assignment), so several topics with few
 *   partitions do not all pile onto subtask 0, and a partition added later has a fixed owner.
 */
import { murmur3x86_32 } from '../core/murmur3.ts';

const encoder = new TextEncoder();

/** Owner of numbered split `index` among `parallelism` subtasks. */
export function ownerOfIndexedSplit(index: number, parallelism: number): number {
  return index % parallelism;
}

/** Owner of the split named `name` among `parallelism` subtasks. */
export function ownerOfNamedSplit(name: string, parallelism: number): number {
  return murmur3x86_32(encoder.encode(name), 0) % parallelism;
}

/** Owner of partition `partition` of Kafka topic `topic` among `parallelism` subtasks. */
export function ownerOfTopicPartition(topic: string, partition: number, parallelism: number): number {
  const start = murmur3x86_32(encoder.encode(topic), 0) % parallelism;
  return (start + partition) % parallelism;
}
