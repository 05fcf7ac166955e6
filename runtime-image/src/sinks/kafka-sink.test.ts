import type { OperatorContext } from '../api/types.ts';
import {
  DEFAULT_TRANSACTION_TIMEOUT_MS,
  kafkaSink,
  KafkaSinkConfigError,
  type KafkaSinkOptions,
} from './kafka-sink.ts';

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

describe('kafkaSink transaction timeout at open', () => {
  const ctx = (checkpoint?: { intervalMs: number; timeoutMs: number }) =>
    ({
      jobName: 'j',
      subtask: 0,
      parallelism: 1,
      ...(checkpoint ? { checkpoint } : {}),
    }) as unknown as OperatorContext;

  it('refuses, before connecting, a checkpoint interval + timeout the transaction timeout does not cover', async () => {
    const sink = kafkaSink({ ...base, transactionTimeoutMs: 60_000 });
    await expect(sink.open(ctx({ intervalMs: 30_000, timeoutMs: 30_000 }), undefined)).rejects.toThrow(
      'kafkaSink: checkpoint interval 30000 ms + checkpoint timeout 30000 ms must be below transactionTimeoutMs 60000 ms',
    );
    await expect(sink.open(ctx({ intervalMs: 30_000, timeoutMs: 30_000 }), undefined)).rejects.toBeInstanceOf(
      KafkaSinkConfigError,
    );
  });

  it('fits the default checkpoint settings (60 s + 600 s) under the default', () => {
    expect(DEFAULT_TRANSACTION_TIMEOUT_MS).toBeGreaterThan(660_000);
  });
});
