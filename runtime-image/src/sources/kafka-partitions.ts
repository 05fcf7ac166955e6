/**
 * The pure parts of the Kafka source: which topic partitions a subtask owns and where each
 * resumes (docs/connectors.md "Source"), how a record value becomes a stream record, and the
 * source's watermark. The I/O shell is kafka-source-reader.ts.
 *
 * A partition is a split (like Flink's KafkaPartitionSplit). Its state in the snapshot is the
 * offset of the next record to emit, so a restore — at any parallelism — resumes every
 * partition exactly after the last record that went into the checkpoint.
 */
import { NO_TIMESTAMP, type SourceRecord, type SplitState } from '../api/types.ts';
import { ownerOfTopicPartition } from './split-assignment.ts';

/** State of one topic partition in a snapshot. */
export interface KafkaPartitionSplit extends SplitState {
  /** `<topic>/<partition>`. */
  id: string;
  topic: string;
  partition: number;
  /** Offset of the next record to emit. */
  offset: number;
  /** Bounded sources: the partition ends before this offset; null when unbounded. */
  stopOffset: number | null;
  /** Largest event time emitted from this partition (ms), −Infinity before the first. */
  maxTs: number;
}

/** Why a record does not parse (decodeRecord), without any of its content: safe to log. */
export type UnparsableReason = 'tombstone' | 'not-json' | 'bad-timestamp';

/**
 * A failure of the Kafka source; for a record that cannot become a stream record the message
 * names topic, partition and offset (and may quote part of the value), and `unparsable` says
 * why without quoting it.
 */
export class KafkaSourceError extends Error {
  override name = 'KafkaSourceError';
  /** Set for a record that does not parse (decodeRecord); undefined for other failures. */
  readonly unparsable: UnparsableReason | undefined;
  constructor(message: string, options?: { cause?: unknown; unparsable?: UnparsableReason }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.unparsable = options?.unparsable;
  }
}

/** The split id of a topic partition. */
export function splitId(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/** The partitions a subtask owns and where they start. */
export interface PartitionPlan {
  /** Owned partitions that were in the restored snapshot: resume at their offset. */
  resumed: KafkaPartitionSplit[];
  /**
   * Owned partitions without restored state: start at the starting offsets on a fresh start,
   * at the earliest offset when restoring (they were created after the snapshot).
   */
  unstarted: Array<{ topic: string; partition: number }>;
}

/**
 * Decides ownership and resume points for subtask `subtask` of `parallelism`.
 * @param partitionCounts partitions per topic as the brokers report them now
 * @param restored the split states of all subtasks of the restored snapshot (undefined: fresh start)
 * @param known ids already owned (partition discovery: only new ones are returned)
 */
export function planPartitions(
  partitionCounts: ReadonlyMap<string, number>,
  restored: readonly SplitState[] | undefined,
  subtask: number,
  parallelism: number,
  known: ReadonlySet<string> = new Set(),
): PartitionPlan {
  const byId = new Map<string, KafkaPartitionSplit>();
  for (const s of restored ?? []) {
    const k = s as Partial<KafkaPartitionSplit>;
    if (typeof k.topic !== 'string' || typeof k.partition !== 'number' || typeof k.offset !== 'number')
      continue;
    byId.set(splitId(k.topic, k.partition), {
      id: splitId(k.topic, k.partition),
      topic: k.topic,
      partition: k.partition,
      offset: k.offset,
      stopOffset: typeof k.stopOffset === 'number' ? k.stopOffset : null,
      maxTs: typeof k.maxTs === 'number' ? k.maxTs : -Infinity,
    });
  }
  const plan: PartitionPlan = { resumed: [], unstarted: [] };
  const owned = (topic: string, partition: number) =>
    ownerOfTopicPartition(topic, partition, parallelism) === subtask && !known.has(splitId(topic, partition));
  // Restored partitions of the subscribed topics, even if metadata does not list them right now.
  for (const s of byId.values()) {
    if (partitionCounts.has(s.topic) && owned(s.topic, s.partition)) plan.resumed.push(s);
  }
  for (const [topic, count] of partitionCounts) {
    for (let p = 0; p < count; p++) {
      if (owned(topic, p) && !byId.has(splitId(topic, p))) plan.unstarted.push({ topic, partition: p });
    }
  }
  const order = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
  plan.resumed.sort(order);
  plan.unstarted.sort(order);
  return plan;
}

/** Where a record came from, for error messages. */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: number;
}

function where(o: RecordOrigin): string {
  return `topic ${o.topic} partition ${o.partition} offset ${o.offset}`;
}

function parseTime(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Date.parse(v);
  return NaN;
}

/**
 * The stream record of one Kafka record.
 * @param value the record value (null: a tombstone)
 * @param kafkaTimestamp the record's Kafka timestamp, ms
 * @throws KafkaSourceError naming topic, partition and offset when the value is missing, not
 *   UTF-8 JSON (format `jsonl`), or its `timestampField` is not a timestamp
 */
export function decodeRecord<T>(
  format: 'text' | 'jsonl',
  timestampField: string | undefined,
  value: Buffer | null,
  kafkaTimestamp: number,
  origin: RecordOrigin,
): SourceRecord<T> {
  if (value === null)
    throw new KafkaSourceError(`${where(origin)}: the record has no value (a tombstone)`, {
      unparsable: 'tombstone',
    });
  const text = value.toString('utf8');
  const ts = Number.isFinite(kafkaTimestamp) && kafkaTimestamp >= 0 ? kafkaTimestamp : NO_TIMESTAMP;
  if (format === 'text') return { value: text as T, timestamp: ts };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new KafkaSourceError(`${where(origin)}: the value is not JSON (${(err as Error).message})`, {
      unparsable: 'not-json',
    });
  }
  if (timestampField === undefined) return { value: parsed as T, timestamp: ts };
  const field =
    parsed !== null && typeof parsed === 'object'
      ? (parsed as Record<string, unknown>)[timestampField]
      : undefined;
  const eventTime = parseTime(field);
  if (!Number.isFinite(eventTime)) {
    throw new KafkaSourceError(
      `${where(origin)}: field ${timestampField} is not a timestamp (${JSON.stringify(field)})`,
      { unparsable: 'bad-timestamp' },
    );
  }
  return { value: parsed as T, timestamp: eventTime };
}

/** True when a bounded split has emitted everything before its stop offset. */
export function splitFinished(s: KafkaPartitionSplit): boolean {
  return s.stopOffset !== null && s.offset >= s.stopOffset;
}

/** Watermark idleness: partitions without a record for `timeoutMs` stop holding the watermark back. */
export interface Idleness {
  /** Wall-clock now, ms. */
  now: number;
  timeoutMs: number;
  /** Wall-clock time of the split's last emitted record (or of its assignment), ms. */
  lastActivity(splitId: string): number;
}

/**
 * The source's watermark: min over unfinished owned partitions of `maxTs − maxOutOfOrderness − 1`
 * (−Infinity while a partition has emitted nothing); +Infinity when bounded and every partition
 * is finished. With `idleness`, partitions idle for its timeout are left out of the minimum
 * (Flink's `withIdleness`); when every unfinished partition is idle, the watermark is the
 * largest of theirs, so an idle source does not hold windows downstream back for ever. A
 * subtask that owns no partition stays at −Infinity (the runtime has no idle marker yet).
 */
export function sourceWatermark(
  splits: readonly KafkaPartitionSplit[],
  bounded: boolean,
  maxOutOfOrdernessMs: number,
  idleness?: Idleness,
): number {
  const open = splits.filter((s) => !splitFinished(s));
  if (open.length === 0) return bounded ? Infinity : -Infinity;
  const wm = (s: KafkaPartitionSplit) => s.maxTs - maxOutOfOrdernessMs - 1;
  if (!idleness) return Math.min(...open.map(wm));
  const active = open.filter((s) => idleness.now - idleness.lastActivity(s.id) < idleness.timeoutMs);
  return active.length > 0 ? Math.min(...active.map(wm)) : Math.max(...open.map(wm));
}
