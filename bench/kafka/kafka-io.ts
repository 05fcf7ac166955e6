/**
 * The Kafka side of the benchmark driver (bench/kafka/run.ts), on the real broker of
 * test/harness/kafka-broker.ts: loading the input topic, watching an output topic's last stable
 * offsets, reading an output topic back with read_committed (count + content digest), and the
 * latency scenario's rate-limited producer and read_committed consumer.
 */
import {
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { LatencyHistogram } from '../runtime/stats.ts';
import { bidAt, ContentDigest, canonicalOutput, partitionOf, q1, type BidRecord } from './records.ts';

/** Records per Produce call while loading. */
const LOAD_BATCH = 5000;

function producer(bootstrap: string, clientId: string): Producer<string, string, string, string> {
  return new Producer({
    clientId,
    bootstrapBrokers: [bootstrap],
    serializers: stringSerializers,
    idempotent: true,
  });
}

/**
 * Writes bids 0 … count−1 (records.ts `bidAt`, JSON) to `topic`, record i to partition i mod
 * `partitions`, idempotent and acks=all, and returns the digest of the output the map must give.
 * @param progress called with the number of records written so far, about every second
 */
export async function loadInput(
  bootstrap: string,
  topic: string,
  partitions: number,
  count: number,
  progress: (written: number) => void = () => undefined,
): Promise<ContentDigest> {
  const expected = new ContentDigest();
  const p = producer(bootstrap, 'sluice-bench-loader');
  let last = Date.now();
  try {
    for (let start = 0; start < count; start += LOAD_BATCH) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + LOAD_BATCH); i++) {
        const bid = bidAt(i);
        expected.add(canonicalOutput(q1(bid)));
        messages.push({ topic, partition: partitionOf(i, partitions), value: JSON.stringify(bid) });
      }
      await p.send({ messages, acks: -1 });
      if (Date.now() - last > 1000) {
        progress(start + messages.length);
        last = Date.now();
      }
    }
  } finally {
    await p.close();
  }
  return expected;
}

/** Sum over the partitions of a topic's end offsets. */
export class OffsetWatcher {
  private readonly consumer: Consumer<string, string, string, string>;

  constructor(bootstrap: string) {
    this.consumer = new Consumer({
      clientId: 'sluice-bench-offsets',
      groupId: `sluice-bench-offsets-${process.pid}`,
      bootstrapBrokers: [bootstrap],
      deserializers: stringDeserializers,
    });
  }

  /**
   * Σ over `topic`'s partitions of the last stable offset (`read_committed`: below every open
   * transaction) or of the high watermark (`read_uncommitted`). Both count transaction markers.
   */
  async sum(
    topic: string,
    isolation: 'read_committed' | 'read_uncommitted' = 'read_committed',
  ): Promise<bigint> {
    const o = await this.consumer.listOffsets({
      topics: [topic],
      timestamp: ListOffsetTimestamps.LATEST,
      isolationLevel:
        isolation === 'read_committed'
          ? FetchIsolationLevels.READ_COMMITTED
          : FetchIsolationLevels.READ_UNCOMMITTED,
    });
    return (o.get(topic) ?? []).reduce((a, b) => a + b, 0n);
  }

  async close(): Promise<void> {
    await this.consumer.close(true);
  }
}

/** Options of {@link readTopic}. */
export interface ReadOptions {
  /** Records expected; the read ends `quietMs` after this many arrived with nothing more. */
  expected: number;
  /** Quiet time after the expected count before the read ends (extra records would show), ms. Default 2000. */
  quietMs?: number;
  /** The read fails when no record arrived for this long before the expected count, ms. Default 60 000. */
  stallMs?: number;
  /** Called on each record value with the time it arrived (performance.now() is not used: epoch ms). */
  onRecord?: (value: string, arrivedAtMs: number) => void;
  /** Resolves once the consumer has joined and started fetching (latency: before producing). */
  onStarted?: () => void;
  /** Ends the read with an error (the caller failed meanwhile). */
  signal?: AbortSignal;
}

/**
 * Reads `topic` from its earliest offsets as a read_committed consumer (a fresh group of its
 * own; records seen twice after a rebalance are skipped by offset) until `expected` records
 * arrived and `quietMs` passed without another, and returns the digest of what it read.
 * @throws Error when no record arrived for `stallMs` before the expected count
 */
export async function readTopic(bootstrap: string, topic: string, o: ReadOptions): Promise<ContentDigest> {
  const digest = new ContentDigest();
  const consumer = new Consumer({
    clientId: 'sluice-bench-reader',
    groupId: `sluice-bench-reader-${topic}-${process.pid}-${Date.now()}`,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 100,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  const next = new Map<number, bigint>();
  let lastArrival = Date.now();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  o.onStarted?.();
  const quietMs = o.quietMs ?? 2000;
  const stallMs = o.stallMs ?? 60_000;
  let failure: Error | undefined;
  const timer = setInterval(() => {
    const idle = Date.now() - lastArrival;
    if (digest.count >= o.expected && idle >= quietMs) stream.destroy();
    else if (digest.count < o.expected && idle >= stallMs) {
      failure = new Error(
        `${topic}: ${digest.count} of ${o.expected} records read with read_committed, none for ${stallMs} ms`,
      );
      stream.destroy();
    }
  }, 50);
  const abort = () => {
    failure ??= new Error(`${topic}: read aborted`);
    stream.destroy();
  };
  o.signal?.addEventListener('abort', abort, { once: true });
  try {
    for await (const m of stream) {
      const now = Date.now();
      if (m.offset < (next.get(m.partition) ?? 0n)) continue;
      next.set(m.partition, m.offset + 1n);
      lastArrival = now;
      digest.addJson(m.value);
      o.onRecord?.(m.value, now);
    }
  } catch (err) {
    failure ??= err as Error;
  } finally {
    clearInterval(timer);
    o.signal?.removeEventListener('abort', abort);
    await stream.close().catch(() => undefined);
    await consumer.close(true).catch(() => undefined);
  }
  // A destroyed stream without error ends the loop; failure says why when it was a stall.
  if (failure && (o.signal?.aborted || !(digest.count >= o.expected))) throw failure;
  return digest;
}

/** A latency run's figures. */
export interface LatencyReading {
  histogram: LatencyHistogram;
  digest: ContentDigest;
  expected: ContentDigest;
  /** Wall time of producing, s (count / rate when the producer kept up). */
  produceSeconds: number;
}

/**
 * The latency scenario's traffic: starts a read_committed reader of `outputTopic`, then writes
 * `count` bids (starting at bid `firstBid`) to `inputTopic` at `rate` records/s in batches every
 * 10 ms, each stamped with `sentAt` = the wall clock when its batch is handed to the producer;
 * records `arrival − sentAt` of every output record (ms) until all arrived.
 * @throws Error when the output stalls (readTopic)
 */
export async function latencyTraffic(
  bootstrap: string,
  inputTopic: string,
  outputTopic: string,
  partitions: number,
  count: number,
  rate: number,
  firstBid = 0,
): Promise<LatencyReading> {
  const histogram = new LatencyHistogram();
  const expected = new ContentDigest();
  let started!: () => void;
  const readerStarted = new Promise<void>((r) => (started = r));
  const aborter = new AbortController();
  const reading = readTopic(bootstrap, outputTopic, {
    expected: count,
    signal: aborter.signal,
    onStarted: () => started(),
    onRecord: (value, arrived) =>
      histogram.record(arrived - (JSON.parse(value) as { sentAt: number }).sentAt),
  });
  // A reader that fails before it started must not leave readerStarted pending.
  await Promise.race([readerStarted, reading]);
  const p = producer(bootstrap, 'sluice-bench-latency');
  const t0 = Date.now();
  try {
    let sent = 0;
    while (sent < count) {
      const due = Math.min(count, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
      if (due > sent) {
        const sentAt = Date.now();
        const messages = [];
        for (; sent < due; sent++) {
          const bid: BidRecord = { ...bidAt(firstBid + sent), sentAt };
          expected.add(canonicalOutput(q1(bid)));
          messages.push({
            topic: inputTopic,
            partition: partitionOf(sent, partitions),
            value: JSON.stringify(bid),
          });
        }
        await p.send({ messages, acks: -1 });
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch (err) {
    aborter.abort();
    await reading.catch(() => undefined);
    throw err;
  } finally {
    await p.close();
  }
  const produceSeconds = (Date.now() - t0) / 1000;
  const digest = await reading;
  return { histogram, digest, expected, produceSeconds };
}
