/**
 * Kafka source reader: reads the partitions of `topics` that this subtask owns (split-assignment.ts
 * `ownerOfTopicPartition`) with plain Fetch requests — no consumer-group membership, so the
 * assignment is ours and deterministic, as in Flink's KafkaSource. Offsets live in the snapshot
 * (kafka-partitions.ts); the group's committed offsets are only read, for `startingOffsets:
 * {committed}`. See docs/connectors.md "Source".
 *
 * One poll: when nothing is buffered, one Fetch per partition leader (waiting up to 100 ms for
 * data), then up to `max` buffered records, round-robin over partitions. A split's offset
 * advances past a record only when the record is handed out, so a barrier between two polls
 * snapshots exactly what was emitted; once a partition's buffer is empty it moves on to the
 * fetch position, skipping transaction markers and aborted records.
 *
 * Monitoring (kafka-source-monitoring.ts): each Fetch response's high watermark / last stable
 * offset gives the partition's lag gauge; with `groupId`, the offsets of a checkpoint's
 * snapshot are committed to the group when the checkpoint is complete. With
 * `deadLetterTopic`, a record that does not parse is written there (acks=all, idempotent) and
 * the poll that met it returns only after the write is acknowledged, so its offset can never
 * be in a snapshot before its dead letter is durable.
 */
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  Producer,
  type ClusterMetadata,
} from '@platformatic/kafka';
import type { OperatorContext, SourceReader, SourceRecord, SplitState } from '../api/types.ts';
import { RateLimiter } from '../core/rate-limiter.ts';
import { kafkaErrorId, KafkaUnavailableError } from '../io/kafka-errors.ts';
import { commitGroupOffsets } from '../io/kafka-group-offsets.ts';
import type { MetricFamily } from '../metrics/prometheus-text.ts';
import { dataRecords, type FetchedRecord } from './kafka-fetch-batches.ts';
import { listOffsets, startOffsets } from './kafka-offsets.ts';
import {
  deadLetterRecord,
  fetchEndOffset,
  kafkaSourceMetricFamilies,
  partitionLag,
  PendingGroupCommits,
  type DeadLetter,
} from './kafka-source-monitoring.ts';
import {
  decodeRecord,
  KafkaSourceError,
  planPartitions,
  sourceWatermark,
  splitFinished,
  splitId,
  type KafkaPartitionSplit,
  type UnparsableReason,
} from './kafka-partitions.ts';
import type { ResolvedKafkaSourceOptions } from './kafka-source-options.ts';

/** Records fetched for `p` and not yet emitted. */
function buffered(p: Owned): number {
  return p.buffer.length - p.head;
}

/** Broker errors of a partition that no retry fixes. */
const FATAL_FETCH_ERRORS = new Set(['OFFSET_OUT_OF_RANGE', 'TOPIC_AUTHORIZATION_FAILED', 'CORRUPT_MESSAGE']);
/** Give up on an unreachable cluster after this long, ms. */
const UNREACHABLE_AFTER_MS = 60_000;

interface Owned {
  split: KafkaPartitionSplit;
  /** Next offset to fetch (≥ split.offset). */
  fetchOffset: bigint;
  /** Fetched records not yet emitted: `buffer[head..]` (a read index, not `shift`, per record). */
  buffer: FetchedRecord[];
  head: number;
  /** Wall-clock ms of the last record emitted (or of the assignment), for watermark idleness. */
  lastActivity: number;
  /** End offset (LSO / high watermark) of the last Fetch response for the partition; undefined before. */
  endOffset: bigint | undefined;
  /** Dead letters written for this partition (acknowledged). */
  deadLetters: number;
}

/**
 * The reader of one subtask of a Kafka source (see the module comment); kafka-source.ts creates it
 * when the source opens.
 */
export class KafkaSourceReader<T> implements SourceReader<T> {
  private readonly o: ResolvedKafkaSourceOptions;
  private readonly ctx: OperatorContext;
  private readonly restored: SplitState[] | undefined;
  private readonly consumer: Consumer;
  private readonly owned = new Map<string, Owned>();
  private metadata: ClusterMetadata | undefined;
  /** The topics read now: the listed ones, or those matching the pattern at the last discovery. */
  private subscribed: string[];
  /** Lists topics for `topicPattern`. */
  private readonly admin: Admin | undefined;
  private lastDiscovery = 0;
  private next = 0;
  private failingSince: number | undefined;
  private readonly limiter: RateLimiter;
  /** Writes dead letters; only with `deadLetterTopic`. */
  private readonly dlqProducer: Producer | undefined;
  /** Offsets of snapshots waiting for their checkpoint's completion (only with `groupId`). */
  private readonly pendingCommits = new PendingGroupCommits();
  /** Group commits run one after another. */
  private commitChain: Promise<void> = Promise.resolve();

  constructor(o: ResolvedKafkaSourceOptions, ctx: OperatorContext, restored: SplitState[] | undefined) {
    this.o = o;
    this.ctx = ctx;
    this.restored = restored;
    this.limiter = new RateLimiter(o.rate);
    this.subscribed = [...o.topics];
    this.admin = o.topicPattern
      ? new Admin({
          clientId: `${o.clientId}-${ctx.jobName}-${ctx.subtask}`,
          bootstrapBrokers: o.bootstrapServers,
        })
      : undefined;
    this.consumer = new Consumer({
      clientId: `${o.clientId}-${ctx.jobName}-${ctx.subtask}`,
      // Required by the client; this reader never joins the group (Fetch requests only).
      groupId: `${o.clientId}-${ctx.jobName}`,
      bootstrapBrokers: o.bootstrapServers,
      isolationLevel: this.isolationLevel,
      retries: 3,
      retryDelay: 500,
    });
    this.dlqProducer = o.deadLetterTopic
      ? new Producer({
          clientId: `${o.clientId}-${ctx.jobName}-${ctx.subtask}-dlq`,
          bootstrapBrokers: o.bootstrapServers,
          idempotent: true,
          acks: -1,
          // A fresh registration (the client's default 0/0 is refused once the broker knows it).
          producerId: -1n,
          producerEpoch: -1,
          // Retriable errors (a broker restarting) for about 10 s, up to about a minute when the
          // requests time out (5 s each), then the worker fails.
          timeout: 5000,
          retries: 10,
          retryDelay: 1000,
        })
      : undefined;
  }

  private get offsetsClientId(): string {
    return `${this.o.clientId}-${this.ctx.jobName}-${this.ctx.subtask}-offsets`;
  }

  private get readCommitted(): boolean {
    return this.o.isolation === 'read_committed';
  }

  private get isolationLevel(): number {
    return this.o.isolation === 'read_committed'
      ? FetchIsolationLevels.READ_COMMITTED
      : FetchIsolationLevels.READ_UNCOMMITTED;
  }

  /** Reads metadata, assigns partitions and resolves their starting offsets. */
  async start(): Promise<void> {
    await this.refreshMetadata();
    const dlq = this.o.deadLetterTopic;
    if (dlq !== undefined) {
      // A dead-letter topic that does not exist fails the worker before any record is read.
      const found = await this.consumer
        .metadata({ topics: [dlq], forceUpdate: true })
        .then((md) => md.topics.has(dlq))
        .catch(() => false);
      if (!found)
        throw new KafkaUnavailableError(
          `dead-letter topic ${dlq} does not exist on ${this.o.bootstrapServers.join(', ')}`,
        );
    }
    await this.assign(this.restored, this.restored === undefined);
    this.lastDiscovery = Date.now();
    this.ctx.log.info(
      { topics: this.subscribed, partitions: [...this.owned.keys()], bounded: this.o.bounded },
      'kafka source assigned partitions',
    );
  }

  private async refreshMetadata(): Promise<ClusterMetadata> {
    let md: ClusterMetadata;
    const what = this.o.topicPattern
      ? `topics matching ${this.o.topicPattern}`
      : `topics ${this.o.topics.join(', ')}`;
    try {
      if (this.admin && this.o.topicPattern) {
        const pattern = this.o.topicPattern;
        this.subscribed = (await this.admin.listTopics({ includeInternals: false }))
          .filter((t) => pattern.test(t))
          .sort();
      }
      md =
        this.subscribed.length > 0
          ? await this.consumer.metadata({ topics: this.subscribed, forceUpdate: true })
          : { id: '', brokers: new Map(), controllerId: -1, topics: new Map(), lastUpdate: Date.now() };
    } catch (err) {
      // The client answers UNKNOWN_TOPIC_OR_PARTITION with its own error `Unknown topic <name>.`,
      // without the protocol error (pinned by kafka-source-options.test.ts).
      const unknown = /^Unknown topic (.+)\.$/.exec((err as Error).message ?? '');
      if (unknown) {
        throw new KafkaUnavailableError(
          `topic ${unknown[1]} does not exist on ${this.o.bootstrapServers.join(', ')}`,
          { cause: err },
        );
      }
      throw new KafkaUnavailableError(
        `cannot read metadata of ${what} from ${this.o.bootstrapServers.join(', ')}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    for (const t of this.o.topics) {
      if (!md.topics.has(t))
        throw new KafkaUnavailableError(`topic ${t} does not exist on ${this.o.bootstrapServers.join(', ')}`);
    }
    this.metadata = md;
    return md;
  }

  private async assign(restored: SplitState[] | undefined, fresh: boolean): Promise<void> {
    const counts = new Map(this.subscribed.map((t) => [t, this.metadata!.topics.get(t)!.partitionsCount]));
    const plan = planPartitions(
      counts,
      restored,
      this.ctx.subtask,
      this.ctx.parallelism,
      new Set(this.owned.keys()),
    );
    for (const s of plan.resumed)
      this.owned.set(s.id, {
        split: s,
        fetchOffset: BigInt(s.offset),
        buffer: [],
        head: 0,
        lastActivity: Date.now(),
        endOffset: undefined,
        deadLetters: 0,
      });
    if (plan.unstarted.length === 0) return;
    // Partitions new since the snapshot (or discovered while running) start at the earliest offset.
    const starts = await startOffsets(
      this.consumer,
      this.o,
      this.offsetsClientId,
      plan.unstarted,
      fresh,
      this.isolationLevel,
    );
    const stops = this.o.bounded
      ? await listOffsets(this.consumer, plan.unstarted, ListOffsetTimestamps.LATEST, this.isolationLevel)
      : undefined;
    for (const p of plan.unstarted) {
      const id = splitId(p.topic, p.partition);
      const offset = starts.get(id)!;
      const stop = stops?.get(id);
      const split: KafkaPartitionSplit = {
        id,
        topic: p.topic,
        partition: p.partition,
        offset: Number(offset),
        stopOffset: stop === undefined ? null : Number(stop),
        maxTs: -Infinity,
      };
      this.owned.set(id, {
        split,
        fetchOffset: offset,
        buffer: [],
        head: 0,
        lastActivity: Date.now(),
        endOffset: undefined,
        deadLetters: 0,
      });
    }
  }

  async poll(max: number): Promise<SourceRecord<T>[] | 'idle' | 'end'> {
    if (
      !this.o.bounded &&
      this.o.partitionDiscoveryIntervalMs > 0 &&
      Date.now() - this.lastDiscovery >= this.o.partitionDiscoveryIntervalMs
    ) {
      this.lastDiscovery = Date.now();
      const before = this.owned.size;
      await this.refreshMetadata();
      await this.assign(undefined, false);
      if (this.owned.size > before)
        this.ctx.log.info({ partitions: [...this.owned.keys()] }, 'kafka source discovered partitions');
    }
    const all = [...this.owned.values()];
    if (this.o.bounded && all.every((p) => splitFinished(p.split))) return 'end';
    if (all.every((p) => buffered(p) === 0)) await this.fetch(all.filter((p) => !splitFinished(p.split)));
    // One clock read per poll: lastActivity feeds idleness, which is measured in seconds.
    const now = Date.now();
    const out: SourceRecord<T>[] = [];
    const dead: Array<{ letter: DeadLetter; owned: Owned; offset: number; reason: UnparsableReason }> = [];
    const n = this.limiter.take(max);
    for (let scanned = 0; out.length < n && scanned < all.length;) {
      const p = all[this.next++ % all.length]!;
      if (buffered(p) === 0) {
        scanned++;
        continue;
      }
      const r = p.buffer[p.head++]!;
      if (p.head === p.buffer.length) {
        p.buffer = [];
        p.head = 0;
      }
      scanned = 0;
      const origin = { topic: p.split.topic, partition: p.split.partition, offset: r.offset };
      let rec: SourceRecord<T>;
      try {
        rec = decodeRecord<T>(this.o.format, this.o.timestampField, r.value, r.timestamp, origin);
      } catch (err) {
        if (!(err instanceof KafkaSourceError) || !err.unparsable || this.o.deadLetterTopic === undefined)
          throw err;
        const letter = deadLetterRecord(this.o.deadLetterTopic, origin, r.key, r.value, err.message);
        dead.push({ letter, owned: p, offset: r.offset, reason: err.unparsable });
        p.split.offset = r.offset + 1;
        p.lastActivity = now;
        continue;
      }
      p.split.offset = r.offset + 1;
      if (Number.isFinite(rec.timestamp) && rec.timestamp! > p.split.maxTs) p.split.maxTs = rec.timestamp!;
      p.lastActivity = now;
      out.push(rec);
    }
    // Before this poll returns (so before any barrier can snapshot the advanced offsets).
    if (dead.length > 0) await this.writeDeadLetters(dead);
    for (const p of all)
      if (buffered(p) === 0 && Number(p.fetchOffset) > p.split.offset) p.split.offset = Number(p.fetchOffset);
    if (out.length > 0) return out;
    return this.o.bounded && all.every((p) => splitFinished(p.split)) ? 'end' : 'idle';
  }

  /**
   * Writes the dead letters of one poll and waits for their acknowledgement (acks=all).
   * @throws KafkaSourceError naming the topic, partition and offset of the first record whose
   *   dead letter could not be written
   */
  private async writeDeadLetters(
    dead: Array<{ letter: DeadLetter; owned: Owned; offset: number; reason: UnparsableReason }>,
  ): Promise<void> {
    for (const d of dead) {
      this.ctx.log.warn(
        {
          topic: d.owned.split.topic,
          partition: d.owned.split.partition,
          offset: d.offset,
          deadLetterTopic: this.o.deadLetterTopic,
          // Not the error message: JSON.parse quotes the value in it.
          reason: d.reason,
        },
        'kafka record does not parse; writing it to the dead-letter topic',
      );
    }
    try {
      await this.dlqProducer!.send({ messages: dead.map((d) => d.letter), acks: -1 });
    } catch (err) {
      const first = dead[0]!;
      const more = dead.length > 1 ? ` (and ${dead.length - 1} more)` : '';
      const id = kafkaErrorId(err);
      throw new KafkaSourceError(
        `topic ${first.owned.split.topic} partition ${first.owned.split.partition} offset ${first.offset}${more}: ` +
          `writing the dead letter to topic ${this.o.deadLetterTopic} failed${id ? ` with ${id}` : ''}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    for (const d of dead) d.owned.deadLetters++;
  }

  /** One Fetch per leader of `parts`; buffers their records. Retries for a while on network errors. */
  private async fetch(parts: Owned[]): Promise<void> {
    if (parts.length === 0) return;
    const md = this.metadata!;
    const byLeader = new Map<number, Owned[]>();
    for (const p of parts) {
      const leader = md.topics.get(p.split.topic)?.partitions[p.split.partition]?.leader ?? -1;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    let refresh = byLeader.has(-1);
    for (const [node, group] of byLeader) {
      if (node < 0) continue;
      try {
        const res = await this.consumer.fetch({
          node,
          topics: [...new Set(group.map((p) => p.split.topic))].map((t) => ({
            topicId: md.topics.get(t)!.id,
            partitions: group
              .filter((p) => p.split.topic === t)
              .map((p) => ({
                partition: p.split.partition,
                fetchOffset: p.fetchOffset,
                currentLeaderEpoch: md.topics.get(t)!.partitions[p.split.partition]!.leaderEpoch,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1 << 20,
              })),
          })),
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 4 << 20,
          isolationLevel: this.isolationLevel,
        });
        this.failingSince = undefined;
        for (const topic of res.responses) {
          const name = [...md.topics].find(([, t]) => t.id === topic.topicId)?.[0];
          for (const part of topic.partitions) {
            const p = name === undefined ? undefined : this.owned.get(splitId(name, part.partitionIndex));
            if (!p) continue;
            const stop = p.split.stopOffset === null ? undefined : BigInt(p.split.stopOffset);
            const got = dataRecords(
              part.records ?? [],
              part.abortedTransactions,
              p.fetchOffset,
              stop,
              this.readCommitted,
            );
            if (buffered(p) === 0) {
              p.buffer = got.records;
              p.head = 0;
            } else for (const r of got.records) p.buffer.push(r);
            p.fetchOffset = got.next;
            if (!part.errorCode)
              p.endOffset = fetchEndOffset(this.readCommitted, part.highWatermark, part.lastStableOffset);
          }
        }
      } catch (err) {
        const id = kafkaErrorId(err);
        if (id !== undefined && FATAL_FETCH_ERRORS.has(id)) {
          const at = group.map((p) => `${p.split.id}@${p.fetchOffset}`).join(', ');
          throw new KafkaSourceError(
            `fetching ${at} from broker ${node} failed with ${id}: ${(err as Error).message}`,
            { cause: err },
          );
        }
        this.failingSince ??= Date.now();
        if (Date.now() - this.failingSince > UNREACHABLE_AFTER_MS) {
          throw new KafkaUnavailableError(
            `fetching from ${this.o.bootstrapServers.join(', ')} failed for ${UNREACHABLE_AFTER_MS} ms: ${(err as Error).message}`,
            { cause: err },
          );
        }
        this.ctx.log.warn({ err: (err as Error).message, node }, 'kafka fetch failed; retrying');
        refresh = true;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (refresh)
      await this.refreshMetadata().catch((err: unknown) =>
        this.ctx.log.warn({ err: (err as Error).message }, 'kafka metadata refresh failed'),
      );
  }

  watermark(): number {
    const timeoutMs = this.o.idleTimeoutMs;
    const idleness =
      timeoutMs === undefined
        ? undefined
        : { now: Date.now(), timeoutMs, lastActivity: (id: string) => this.owned.get(id)?.lastActivity ?? 0 };
    return sourceWatermark(
      [...this.owned.values()].map((p) => p.split),
      this.o.bounded,
      this.o.maxOutOfOrdernessMs,
      idleness,
    );
  }

  snapshot(checkpointId?: number): SplitState[] {
    const splits = [...this.owned.values()].map((p) => ({ ...p.split }));
    if (this.o.groupId !== undefined && checkpointId !== undefined)
      this.pendingCommits.add(checkpointId, splits);
    return splits;
  }

  /**
   * Checkpoint `checkpointId` is complete: with `groupId`, commits the offsets of the newest
   * snapshot ≤ it to the group (standalone commit, io/kafka-group-offsets.ts). Never throws: a
   * failed commit is logged at warn (monitoring only; the next checkpoint commits again).
   */
  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const groupId = this.o.groupId;
    if (groupId === undefined) return Promise.resolve();
    const taken = this.pendingCommits.take(checkpointId);
    if (!taken || taken.offsets.length === 0) return this.commitChain;
    this.commitChain = this.commitChain.then(async () => {
      try {
        await commitGroupOffsets(
          this.o.bootstrapServers,
          `${this.offsetsClientId}-commit`,
          groupId,
          taken.offsets,
        );
        this.ctx.log.debug(
          { checkpointId: taken.checkpointId, groupId, partitions: taken.offsets.length },
          'kafka source committed offsets to the group',
        );
      } catch (err) {
        this.ctx.log.warn(
          { checkpointId: taken.checkpointId, groupId, err: (err as Error).message },
          'kafka source could not commit offsets to the group (monitoring only; the job goes on)',
        );
      }
    });
    return this.commitChain;
  }

  /** Lag gauge and dead-letter counter per owned partition (kafka-source-monitoring.ts). */
  metricFamilies(): MetricFamily[] {
    return kafkaSourceMetricFamilies(
      [...this.owned.values()].map((p) => ({
        topic: p.split.topic,
        partition: p.split.partition,
        lag: partitionLag(p.endOffset, p.split.offset, p.split.stopOffset),
        deadLetters: p.deadLetters,
      })),
      this.o.deadLetterTopic !== undefined,
    );
  }

  splitCount(): number {
    return this.owned.size;
  }

  /** Closes the clients; a group commit in flight gets up to 5 s to finish (it never throws). */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.commitChain, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    await Promise.allSettled([this.consumer.close(true), this.admin?.close(), this.dlqProducer?.close()]);
  }
}
