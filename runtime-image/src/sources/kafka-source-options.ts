/**
 * Options of the Kafka source (`kafkaSource({...})`, docs/connectors.md "Source") and their
 * validation: bad input fails at job load with a message naming the option, never later.
 */

/** Where a partition that has no offset in the restored snapshot starts. */
export type StartingOffsets =
  | 'earliest'
  | 'latest'
  /** The consumer group's committed offset; `fallback` where the group has none (default earliest). */
  | { committed: { groupId: string; fallback?: 'earliest' | 'latest' } }
  /** The first record whose timestamp is ≥ this (ms since the epoch); the end when there is none. */
  | { timestamp: number };

/** Options of a Kafka source. */
export interface KafkaSourceOptions {
  /** `host:port` of one or more brokers (a comma-separated string is accepted too). */
  bootstrapServers: string[] | string;
  /** Topics to read (all their partitions). Exactly one of `topics` and `topicPattern`. */
  topics?: string[];
  /**
   * Read every topic whose whole name matches this regular expression (JavaScript syntax;
   * internal topics excluded); topics created later are found by partition discovery.
   */
  topicPattern?: string;
  /** Where partitions start on a fresh start (default `earliest`). Restored partitions resume at their snapshot offset. */
  startingOffsets?: StartingOffsets;
  /** `text`: the record value as a UTF-8 string; `jsonl`: the value parsed as one JSON document. */
  format: 'text' | 'jsonl';
  /** JSON only: field holding the event time (ms number or RFC 3339 string). Default: the record's Kafka timestamp. */
  timestampField?: string;
  /** Bound on out-of-orderness of event times within a partition, ms (default 0). */
  maxOutOfOrdernessMs?: number;
  /**
   * `latest`: stop at the offsets that are the end of each partition when it is first assigned
   * (Flink's bounded KafkaSource); the job then finishes. Default: unbounded.
   */
  bounded?: 'latest';
  /** `read_committed` (default: skips aborted and open transactions) or `read_uncommitted`. */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Look for new partitions every this many ms (default 30 000; 0: never). Unbounded sources only. */
  partitionDiscoveryIntervalMs?: number;
  /** Client id prefix sent to the brokers (default `sluice`). */
  clientId?: string;
  /** Max records/s of each subtask (default unlimited). */
  rate?: number;
  /** A partition without records for this many ms no longer holds the watermark back (default: never idle). */
  idleTimeoutMs?: number;
  /**
   * Consumer group to which the offsets of every completed checkpoint are committed, for
   * monitoring only (never read back for recovery). Default: none, nothing is committed.
   */
  groupId?: string;
  /**
   * Topic (must exist) to which records that do not parse are written, with headers naming
   * their source topic, partition, offset and the error, instead of failing the worker.
   * Default: none, such a record fails the worker.
   */
  deadLetterTopic?: string;
}

/** The options after validation, with defaults applied. */
export interface ResolvedKafkaSourceOptions {
  bootstrapServers: string[];
  /** The listed topics; empty with a pattern. */
  topics: string[];
  /** The pattern, anchored at both ends; undefined with listed topics. */
  topicPattern: RegExp | undefined;
  startingOffsets: StartingOffsets;
  format: 'text' | 'jsonl';
  timestampField: string | undefined;
  maxOutOfOrdernessMs: number;
  bounded: boolean;
  isolation: 'read_committed' | 'read_uncommitted';
  partitionDiscoveryIntervalMs: number;
  clientId: string;
  /** Records/s per subtask; Infinity when unlimited. */
  rate: number;
  /** ms; undefined: partitions are never idle. */
  idleTimeoutMs: number | undefined;
  /** Group the completed checkpoints' offsets are committed to; undefined: none. */
  groupId: string | undefined;
  /** Dead-letter topic; undefined: a record that does not parse fails the worker. */
  deadLetterTopic: string | undefined;
}

/** Invalid Kafka source options; the message names the option and what is allowed. */
export class KafkaSourceConfigError extends Error {
  override name = 'KafkaSourceConfigError';
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
/** Kafka's legal topic names: [a-zA-Z0-9._-], 1..249 characters. */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

function fail(msg: string): never {
  throw new KafkaSourceConfigError(`kafkaSource: ${msg}`);
}

function nonNegative(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    fail(`${name} must be a number ≥ 0, got ${JSON.stringify(v)}`);
  return v;
}

function positive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !(v > 0)) fail(`${name} must be a number > 0, got ${JSON.stringify(v)}`);
  return v;
}

function startingOffsets(v: unknown): StartingOffsets {
  if (v === undefined) return 'earliest';
  if (v === 'earliest' || v === 'latest') return v;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if ('timestamp' in o) {
      const ts = o.timestamp;
      if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < 0) {
        fail(
          `startingOffsets.timestamp must be ms since the epoch (an integer ≥ 0), got ${JSON.stringify(ts)}`,
        );
      }
      return { timestamp: ts };
    }
    if ('committed' in o) {
      const c = o.committed as Record<string, unknown> | null;
      if (c === null || typeof c !== 'object' || typeof c.groupId !== 'string' || c.groupId.length === 0) {
        fail('startingOffsets.committed needs a non-empty groupId');
      }
      const fallback = c.fallback ?? 'earliest';
      if (fallback !== 'earliest' && fallback !== 'latest') {
        fail(
          `startingOffsets.committed.fallback must be "earliest" or "latest", got ${JSON.stringify(fallback)}`,
        );
      }
      return { committed: { groupId: c.groupId, fallback } };
    }
  }
  return fail(
    `startingOffsets must be "earliest", "latest", {timestamp: ms} or {committed: {groupId}}, got ${JSON.stringify(v)}`,
  );
}

/**
 * Validates `opts` and applies the defaults.
 * @throws KafkaSourceConfigError naming the first invalid option
 */
export function resolveKafkaSourceOptions(opts: KafkaSourceOptions): ResolvedKafkaSourceOptions {
  const rawServers =
    typeof opts.bootstrapServers === 'string' ? opts.bootstrapServers.split(',') : opts.bootstrapServers;
  if (!Array.isArray(rawServers)) fail('bootstrapServers must be a list of host:port');
  const bootstrapServers = rawServers.map((s) => String(s).trim()).filter((s) => s.length > 0);
  if (bootstrapServers.length === 0) fail('bootstrapServers must name at least one host:port');
  for (const s of bootstrapServers) {
    const m = HOST_PORT.exec(s);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
      fail(`bootstrap server ${JSON.stringify(s)} is not host:port`);
  }
  let topicPattern: RegExp | undefined;
  if (opts.topicPattern !== undefined) {
    if (opts.topics !== undefined) fail('set either topics or topicPattern, not both');
    if (typeof opts.topicPattern !== 'string' || opts.topicPattern.length === 0)
      fail('topicPattern must be a non-empty string');
    try {
      topicPattern = new RegExp(`^(?:${opts.topicPattern})$`);
    } catch (err) {
      fail(
        `topicPattern ${JSON.stringify(opts.topicPattern)} is not a regular expression (${(err as Error).message})`,
      );
    }
  }
  const topics = opts.topics ?? [];
  if (!topicPattern && (!Array.isArray(topics) || topics.length === 0)) {
    fail('topics must list at least one topic (or set topicPattern)');
  }
  for (const t of topics) {
    if (typeof t !== 'string' || !TOPIC.test(t) || t === '.' || t === '..') {
      fail(`topic ${JSON.stringify(t)} is not a legal Kafka topic name ([a-zA-Z0-9._-], 1–249 characters)`);
    }
  }
  if (new Set(topics).size !== topics.length) fail(`topics lists a topic twice: ${topics.join(', ')}`);
  if (opts.format !== 'text' && opts.format !== 'jsonl')
    fail(`format must be "text" or "jsonl", got ${JSON.stringify(opts.format)}`);
  if (opts.timestampField !== undefined) {
    if (opts.format !== 'jsonl') fail('timestampField needs format "jsonl"');
    if (typeof opts.timestampField !== 'string' || opts.timestampField.length === 0)
      fail('timestampField must be a field name');
  }
  if (opts.bounded !== undefined && opts.bounded !== 'latest')
    fail(`bounded must be "latest", got ${JSON.stringify(opts.bounded)}`);
  const isolation = opts.isolation ?? 'read_committed';
  if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') {
    fail(`isolation must be "read_committed" or "read_uncommitted", got ${JSON.stringify(isolation)}`);
  }
  if (opts.groupId !== undefined && (typeof opts.groupId !== 'string' || opts.groupId.length === 0))
    fail(`groupId must be a non-empty string, got ${JSON.stringify(opts.groupId)}`);
  const dlq = opts.deadLetterTopic;
  if (dlq !== undefined) {
    if (typeof dlq !== 'string' || !TOPIC.test(dlq) || dlq === '.' || dlq === '..') {
      fail(
        `deadLetterTopic ${JSON.stringify(dlq)} is not a legal Kafka topic name ([a-zA-Z0-9._-], 1–249 characters)`,
      );
    }
    if (topics.includes(dlq)) fail(`deadLetterTopic ${dlq} is also a topic the source reads`);
    if (topicPattern?.test(dlq))
      fail(`deadLetterTopic ${dlq} matches topicPattern, the source would read it`);
  }
  return {
    bootstrapServers,
    topics: [...topics],
    topicPattern,
    startingOffsets: startingOffsets(opts.startingOffsets),
    format: opts.format,
    timestampField: opts.timestampField,
    maxOutOfOrdernessMs: nonNegative(opts.maxOutOfOrdernessMs, 'maxOutOfOrdernessMs', 0),
    bounded: opts.bounded === 'latest',
    isolation,
    partitionDiscoveryIntervalMs: nonNegative(
      opts.partitionDiscoveryIntervalMs,
      'partitionDiscoveryIntervalMs',
      30_000,
    ),
    clientId: opts.clientId ?? 'sluice',
    rate: opts.rate === undefined ? Infinity : positive(opts.rate, 'rate'),
    idleTimeoutMs:
      opts.idleTimeoutMs === undefined ? undefined : positive(opts.idleTimeoutMs, 'idleTimeoutMs'),
    groupId: opts.groupId,
    deadLetterTopic: dlq,
  };
}
