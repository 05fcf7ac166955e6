import {
  KafkaSourceConfigError,
  resolveKafkaSourceOptions,
  type KafkaSourceOptions,
} from './kafka-source-options.ts';

const base: KafkaSourceOptions = { bootstrapServers: ['127.0.0.1:9092'], topics: ['lines'], format: 'text' };

describe('Kafka source options', () => {
  it('applies the defaults', () => {
    expect(resolveKafkaSourceOptions(base)).toEqual({
      bootstrapServers: ['127.0.0.1:9092'],
      topics: ['lines'],
      topicPattern: undefined,
      startingOffsets: 'earliest',
      format: 'text',
      timestampField: undefined,
      maxOutOfOrdernessMs: 0,
      bounded: false,
      isolation: 'read_committed',
      partitionDiscoveryIntervalMs: 30_000,
      clientId: 'sluice',
      rate: Infinity,
      idleTimeoutMs: undefined,
      groupId: undefined,
      deadLetterTopic: undefined,
    });
  });

  it('takes a group id and a dead-letter topic, refusing bad ones', () => {
    const r = resolveKafkaSourceOptions({ ...base, groupId: 'monitor', deadLetterTopic: 'lines.dlq' });
    expect(r).toMatchObject({ groupId: 'monitor', deadLetterTopic: 'lines.dlq' });
    const bad = (o: Partial<KafkaSourceOptions>, msg: RegExp) =>
      expect(() => resolveKafkaSourceOptions({ ...base, ...o })).toThrow(msg);
    bad({ groupId: '' }, /^kafkaSource: groupId must be a non-empty string/);
    bad({ deadLetterTopic: 'no/slash' }, /deadLetterTopic "no\/slash" is not a legal Kafka topic name/);
    bad({ deadLetterTopic: 'lines' }, /deadLetterTopic lines is also a topic the source reads/);
    bad(
      { topics: undefined, topicPattern: 'lines.*', deadLetterTopic: 'lines-dlq' },
      /deadLetterTopic lines-dlq matches topicPattern/,
    );
    expect(() => resolveKafkaSourceOptions({ ...base, groupId: '' })).toThrow(KafkaSourceConfigError);
  });

  it('accepts a comma-separated server list and every starting position', () => {
    const r = resolveKafkaSourceOptions({ ...base, bootstrapServers: 'a:1, b.svc:9092,[::1]:9093' });
    expect(r.bootstrapServers).toEqual(['a:1', 'b.svc:9092', '[::1]:9093']);
    for (const so of ['earliest', 'latest', { timestamp: 1_700_000_000_000 }] as const) {
      expect(resolveKafkaSourceOptions({ ...base, startingOffsets: so }).startingOffsets).toEqual(so);
    }
    expect(
      resolveKafkaSourceOptions({ ...base, startingOffsets: { committed: { groupId: 'g' } } })
        .startingOffsets,
    ).toEqual({
      committed: { groupId: 'g', fallback: 'earliest' },
    });
  });

  it.each([
    [{ bootstrapServers: [] }, 'bootstrapServers must name at least one host:port'],
    [{ bootstrapServers: ['kafka'] }, 'bootstrap server "kafka" is not host:port'],
    [{ bootstrapServers: ['kafka:70000'] }, 'bootstrap server "kafka:70000" is not host:port'],
    [{ topics: [] }, 'topics must list at least one topic (or set topicPattern)'],
    [{ topicPattern: 'a.*' }, 'set either topics or topicPattern, not both'],
    [{ topics: undefined, topicPattern: '(' }, 'topicPattern "(" is not a regular expression'],
    [{ topics: ['bad topic'] }, 'topic "bad topic" is not a legal Kafka topic name'],
    [{ topics: ['a', 'a'] }, 'topics lists a topic twice'],
    [{ format: 'avro' }, 'format must be "text" or "jsonl", got "avro"'],
    [{ timestampField: 'ts' }, 'timestampField needs format "jsonl"'],
    [{ startingOffsets: 'committed' }, 'startingOffsets must be'],
    [{ startingOffsets: { timestamp: -5 } }, 'startingOffsets.timestamp must be ms since the epoch'],
    [
      { startingOffsets: { committed: { groupId: '' } } },
      'startingOffsets.committed needs a non-empty groupId',
    ],
    [{ bounded: 'forever' }, 'bounded must be "latest"'],
    [{ isolation: 'dirty' }, 'isolation must be "read_committed" or "read_uncommitted"'],
    [{ maxOutOfOrdernessMs: -1 }, 'maxOutOfOrdernessMs must be a number ≥ 0'],
    [{ rate: 0 }, 'rate must be a number > 0, got 0'],
    [{ idleTimeoutMs: -5 }, 'idleTimeoutMs must be a number > 0, got -5'],
  ])('rejects %j: %s', (over, message) => {
    const opts = { ...base, ...over } as unknown as KafkaSourceOptions;
    expect(() => resolveKafkaSourceOptions(opts)).toThrow(KafkaSourceConfigError);
    expect(() => resolveKafkaSourceOptions(opts)).toThrow(`kafkaSource: ${message}`);
  });

  it('takes a topic pattern instead of topics, matching whole names', () => {
    const r = resolveKafkaSourceOptions({
      bootstrapServers: 'k:9092',
      topicPattern: 'orders-.*',
      format: 'text',
    });
    expect(r.topics).toEqual([]);
    expect(r.topicPattern?.test('orders-eu')).toBe(true);
    expect(r.topicPattern?.test('old-orders-eu')).toBe(false);
    expect(r.topicPattern?.test('orders')).toBe(false);
  });
});
