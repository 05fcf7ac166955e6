/**
 * Kafka sink (docs/connectors.md "Sink"). `exactly-once` (default) is Flink's two-phase commit
 * on Kafka transactions: one transaction per subtask per checkpoint interval, flushed at the
 * barrier (pre-commit: the checkpoint's ack waits for every record to be acknowledged), committed
 * when the commit notification of that checkpoint arrives. Ids, state and recovery are in
 * kafka-sink-state.ts; the writers in kafka-sink-writers.ts, loaded with the Kafka client only
 * when the sink opens, so a worker whose job writes no Kafka topic never loads the client
 * (docs/runtime.md "Execution"); ending transactions of a dead process is io/kafka-transactions.ts.
 * `at-least-once` sends with an idempotent producer and only waits for the acks at the barrier.
 */
import type { OperatorContext, Sink, SinkWriter } from '../api/types.ts';
import { parseBroker, type TransactionClientOptions } from '../io/kafka-transactions.ts';
import { checkTransactionTimeout, KafkaSinkConfigError } from './kafka-sink-state.ts';

export { KafkaSinkConfigError } from './kafka-sink-state.ts';

/**
 * Default transaction timeout (ms): the broker's default `transaction.max.timeout.ms` (15 min),
 * so the default checkpoint interval (60 s) + timeout (600 s) fits under it.
 */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 900_000;

/** Options of a Kafka sink. */
export interface KafkaSinkOptions<T> {
  bootstrapServers: string[] | string;
  topic: string;
  /** Record key (default: none; the client then spreads records over partitions). */
  key?: (value: T) => string;
  /** `jsonl` (default): JSON.stringify of the record; `text`: String(record). */
  format?: 'jsonl' | 'text';
  delivery?: 'exactly-once' | 'at-least-once';
  /** Prefix of the transactional ids; unique per job on the cluster (default `sluice-<job>`). */
  transactionalIdPrefix?: string;
  /** Timeout the broker applies to each transaction, ms (default 900 000, {@link DEFAULT_TRANSACTION_TIMEOUT_MS}; ≤ the broker's transaction.max.timeout.ms; above the checkpoint interval + timeout). */
  transactionTimeoutMs?: number;
}

/**
 * A Kafka sink.
 * @throws KafkaSinkConfigError on invalid options (at job definition)
 */
export function kafkaSink<T>(opts: KafkaSinkOptions<T>): Sink<T> {
  const servers = (
    typeof opts.bootstrapServers === 'string'
      ? opts.bootstrapServers.split(',')
      : (opts.bootstrapServers ?? [])
  )
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0)
    throw new KafkaSinkConfigError('kafkaSink: bootstrapServers must name at least one host:port');
  for (const s of servers) {
    try {
      parseBroker(s);
    } catch {
      throw new KafkaSinkConfigError(`kafkaSink: bootstrap server ${JSON.stringify(s)} is not host:port`);
    }
  }
  if (typeof opts.topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(opts.topic)) {
    throw new KafkaSinkConfigError(
      `kafkaSink: topic ${JSON.stringify(opts.topic)} is not a legal Kafka topic name`,
    );
  }
  const delivery = opts.delivery ?? 'exactly-once';
  if (delivery !== 'exactly-once' && delivery !== 'at-least-once') {
    throw new KafkaSinkConfigError(
      `kafkaSink: delivery must be "exactly-once" or "at-least-once", got ${JSON.stringify(delivery)}`,
    );
  }
  const format = opts.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'text')
    throw new KafkaSinkConfigError(`kafkaSink: format must be "jsonl" or "text"`);
  const txnTimeout = opts.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
  checkTransactionTimeout(txnTimeout, undefined, undefined);
  const encode = (v: T) => (format === 'jsonl' ? JSON.stringify(v) : String(v));
  return {
    kind: 'kafka',
    async open(ctx: OperatorContext, restored: unknown[] | undefined): Promise<SinkWriter<T>> {
      // The rule against the job's checkpoint interval + timeout, known only here (docs/connectors.md).
      if (delivery === 'exactly-once') checkTransactionTimeout(txnTimeout, ctx.checkpoint, undefined);
      const prefix = opts.transactionalIdPrefix ?? `sluice-${ctx.jobName}`;
      const client: TransactionClientOptions = {
        bootstrapServers: servers,
        clientId: `${prefix}-${ctx.subtask}`,
      };
      const record = (v: T) => ({
        topic: opts.topic,
        value: encode(v),
        ...(opts.key ? { key: opts.key(v) } : {}),
      });
      const { openAtLeastOnce, openExactlyOnce } = await import('./kafka-sink-writers.ts');
      return delivery === 'exactly-once'
        ? openExactlyOnce(ctx, restored, { prefix, client, servers, txnTimeout, record })
        : Promise.resolve(openAtLeastOnce(ctx, servers, prefix, record));
    },
  };
}
