import { kafkaSink, KafkaSinkConfigError, type KafkaSinkOptions } from './kafka-sink.ts';

const base: KafkaSinkOptions<unknown> = { bootstrapServers: ['127.0.0.1:9092'], topic: 'out' };

describe('kafkaSink options', () => {
  it('accepts valid options without connecting', () => {
    expect(kafkaSink(base).kind).toBe('kafka');
    expect(
      kafkaSink({ ...base, bootstrapServers: 'a:1,b:2', delivery: 'at-least-once', format: 'text' }).kind,
    ).toBe('kafka');
  });

  it.each([
    [{ bootstrapServers: [] }, 'bootstrapServers must name at least one host:port'],
    [{ bootstrapServers: undefined }, 'bootstrapServers must name at least one host:port'],
    [{ bootstrapServers: ['kafka'] }, 'bootstrap server "kafka" is not host:port'],
    [{ topic: 'no spaces' }, 'topic "no spaces" is not a legal Kafka topic name'],
    [{ delivery: 'maybe' }, 'delivery must be "exactly-once" or "at-least-once", got "maybe"'],
    [{ format: 'avro' }, 'format must be "jsonl" or "text"'],
    [{ transactionTimeoutMs: 5 }, 'transactionTimeoutMs must be an integer ≥ 1000'],
  ])('rejects %j: %s', (over, message) => {
    const opts = { ...base, ...over } as unknown as KafkaSinkOptions<unknown>;
    expect(() => kafkaSink(opts)).toThrow(KafkaSinkConfigError);
    expect(() => kafkaSink(opts)).toThrow(message);
  });
});
