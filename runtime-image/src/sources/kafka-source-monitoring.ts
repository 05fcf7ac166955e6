/**
 * The pure parts of the Kafka source's monitoring and dead-letter handling (docs/connectors.md
 * "Source"): consumer lag per partition from the end offsets that Fetch responses carry, the
 * metric families the worker's `/metrics` endpoint exports for the source, which offsets a
 * completed checkpoint commits to the consumer group, and the record written to the
 * dead-letter topic for a record that does not parse. The I/O shell is kafka-source-reader.ts.
 */
import type { MetricFamily } from '../metrics/prometheus-text.ts';
import type { KafkaPartitionSplit } from './kafka-partitions.ts';

/** Gauge: records between a partition's end offset and the next offset the source emits. */
export const LAG_METRIC = 'sluice_kafka_source_lag_records';
/** Counter: records written to the dead-letter topic instead of the pipeline. */
export const DEAD_LETTER_METRIC = 'sluice_kafka_source_dead_letter_records_total';

/** Header names of a dead-letter record (values UTF-8 strings). */
export const DEAD_LETTER_HEADERS = {
  topic: 'sluice.source.topic',
  partition: 'sluice.source.partition',
  offset: 'sluice.source.offset',
  error: 'sluice.error',
} as const;

/**
 * The offset a partition's lag is measured to, from one Fetch response: its last stable offset
 * under read_committed (records of open transactions cannot be read yet), its high watermark
 * otherwise. A negative last stable offset (the broker did not report one) falls back to the
 * high watermark.
 */
export function fetchEndOffset(
  readCommitted: boolean,
  highWatermark: bigint,
  lastStableOffset: bigint,
): bigint {
  return readCommitted && lastStableOffset >= 0n ? lastStableOffset : highWatermark;
}

/**
 * Consumer lag of a partition, in records: `end − offset`, where `offset` is the next offset
 * to emit (the split's offset) and `end` the last end offset a Fetch response reported (capped
 * at a bounded split's stop offset: what the source will still read). Never negative (markers
 * and skipped aborted records can put `offset` at or past `end`).
 * @returns undefined while no Fetch response has reported an end for the partition
 */
export function partitionLag(
  end: bigint | undefined,
  offset: number,
  stopOffset: number | null,
): number | undefined {
  if (end === undefined) return undefined;
  let e = Number(end);
  if (stopOffset !== null && stopOffset < e) e = stopOffset;
  return Math.max(0, e - offset);
}

/** What the source reports about one owned partition. */
export interface PartitionMonitoring {
  topic: string;
  partition: number;
  /** Records, see partitionLag; undefined: not known yet (no series). */
  lag: number | undefined;
  /** Dead letters written (and acknowledged) for this partition since the worker started. */
  deadLetters: number;
}

/**
 * The source's metric families, labels `topic` and `partition` (exactly those two: the pod is
 * one subtask, and dashboards select on them): the lag gauge of every owned partition whose
 * end is known, and, when a dead-letter topic is configured, the dead-letter counter of every
 * owned partition (0 included, so a rate can be taken from the start).
 */
export function kafkaSourceMetricFamilies(
  parts: readonly PartitionMonitoring[],
  deadLetterTopic: boolean,
): MetricFamily[] {
  const lag: MetricFamily = {
    name: LAG_METRIC,
    type: 'gauge',
    help: 'Records from the next offset to emit to the partition end (last stable offset under read_committed, else high watermark).',
    series: [],
  };
  const dead: MetricFamily = {
    name: DEAD_LETTER_METRIC,
    type: 'counter',
    help: 'Records that did not parse and were written to the dead-letter topic.',
    series: [],
  };
  for (const p of parts) {
    const labels = { topic: p.topic, partition: String(p.partition) };
    if (p.lag !== undefined) lag.series.push({ labels, value: p.lag });
    if (deadLetterTopic) dead.series.push({ labels, value: p.deadLetters });
  }
  return [lag, dead];
}

/** One partition's offset to commit to the consumer group. */
export interface GroupOffset {
  topic: string;
  partition: number;
  /** The next offset to read (Kafka's committed-offset convention). */
  offset: number;
}

/**
 * Offsets of the snapshots taken but not yet known complete, by checkpoint id, so that the
 * commit notification of checkpoint N commits exactly what N's snapshot holds — never the
 * offsets read since. Held in memory only (monitoring: a lost notification is covered by the
 * next one, which commits a later snapshot).
 */
export class PendingGroupCommits {
  private readonly pending = new Map<number, GroupOffset[]>();
  private readonly limit: number;

  /** @param limit snapshots kept at most (the oldest is dropped): notifications that never come must not grow memory */
  constructor(limit = 64) {
    this.limit = limit;
  }

  /** Remembers the split states of the snapshot of checkpoint `checkpointId`. */
  add(checkpointId: number, splits: readonly KafkaPartitionSplit[]): void {
    if (this.pending.size >= this.limit) this.pending.delete(Math.min(...this.pending.keys()));
    this.pending.set(
      checkpointId,
      splits.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.offset })),
    );
  }

  /**
   * Checkpoint `completedId` is complete: returns the offsets of the newest snapshot with id ≤
   * `completedId` (undefined when there is none) and forgets every snapshot ≤ `completedId`.
   */
  take(completedId: number): { checkpointId: number; offsets: GroupOffset[] } | undefined {
    let best: number | undefined;
    for (const id of this.pending.keys())
      if (id <= completedId && (best === undefined || id > best)) best = id;
    const offsets = best === undefined ? undefined : this.pending.get(best)!;
    for (const id of [...this.pending.keys()]) if (id <= completedId) this.pending.delete(id);
    return best === undefined ? undefined : { checkpointId: best, offsets: offsets! };
  }

  /** Number of snapshots waiting for their notification. */
  get size(): number {
    return this.pending.size;
  }
}

/** A record to write to the dead-letter topic (bytes as the client's Producer takes them). */
export interface DeadLetter {
  topic: string;
  /** The original key bytes; undefined when the record had none. */
  key: Buffer | undefined;
  /** The original value bytes; undefined for a tombstone (written as a null value). */
  value: Buffer | undefined;
  headers: Map<Buffer, Buffer>;
}

/**
 * The dead letter of a record that did not parse: its original key and value bytes, and headers
 * `sluice.source.topic`, `sluice.source.partition`, `sluice.source.offset` (decimal) and
 * `sluice.error` (the parse error's message), all UTF-8.
 */
export function deadLetterRecord(
  deadLetterTopic: string,
  origin: { topic: string; partition: number; offset: number },
  key: Buffer | null,
  value: Buffer | null,
  error: string,
): DeadLetter {
  const h = (k: string, v: string): [Buffer, Buffer] => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')];
  return {
    topic: deadLetterTopic,
    key: key ?? undefined,
    value: value ?? undefined,
    headers: new Map([
      h(DEAD_LETTER_HEADERS.topic, origin.topic),
      h(DEAD_LETTER_HEADERS.partition, String(origin.partition)),
      h(DEAD_LETTER_HEADERS.offset, String(origin.offset)),
      h(DEAD_LETTER_HEADERS.error, error),
    ]),
  };
}
