/**
 * The writers of a Kafka sink's subtask (kafka-sink.ts has the options and the protocol):
 * `exactly-once`, one transaction per checkpoint interval ended by the commit notification, and
 * `at-least-once`, an idempotent producer flushed at the barrier.
 */
import { Producer, stringSerializers } from '@platformatic/kafka';
import type { OperatorContext, PreCommitResult, SinkWriter } from '../api/types.ts';
import { KafkaUnavailableError } from '../io/kafka-errors.ts';
import {
  endPreparedTransaction,
  initTransactionalId,
  KafkaTransactionError,
  type TransactionClientOptions,
} from '../io/kafka-transactions.ts';
import {
  KafkaSinkConfigError,
  recoveryPlan,
  transactionalId,
  type KafkaSinkState,
  type PendingKafkaTransaction,
} from './kafka-sink-state.ts';

/** Records buffered per send. */
const BATCH = 500;

interface OpenTransaction {
  entry: PendingKafkaTransaction;
  producer: Producer<string, string, string, string>;
  txn: ReturnType<Producer<string, string, string, string>['beginTransaction']>;
  /** The chain of sends of this transaction; resolves when all are acknowledged. */
  sent: Promise<void>;
  queue: Array<{ topic: string; key?: string; value: string }>;
  inflight: number;
}

/** What an exactly-once writer needs from the sink's options. */
export interface ExactlyOnceSetup<T> {
  prefix: string;
  client: TransactionClientOptions;
  servers: string[];
  txnTimeout: number;
  record: (v: T) => { topic: string; key?: string; value: string };
}

/**
 * A transaction call that failed without a broker answer (every retry met a network error or
 * timeout, io/kafka-transactions.ts) means the brokers cannot be reached: rethrown as
 * KafkaUnavailableError naming them and what was being done. Other errors pass.
 * @throws KafkaUnavailableError
 */
function throwIfUnreachable(err: unknown, servers: string[], doing: string): void {
  if (err instanceof KafkaTransactionError && err.brokerError === undefined) {
    throw new KafkaUnavailableError(
      `cannot reach the brokers at ${servers.join(', ')} to ${doing}: ${err.message}`,
      { cause: err },
    );
  }
}

/** Re-initialises ids of `lineage` from `fromSeq` on until one the broker never saw; returns how many were aborted. */
async function abortLingering(
  s: ExactlyOnceSetup<unknown>,
  lineage: number,
  fromSeq: number,
): Promise<number> {
  let aborted = 0;
  for (let seq = fromSeq; ; seq++) {
    const r = await initTransactionalId(s.client, transactionalId(s.prefix, lineage, seq), s.txnTimeout);
    if (r.producerEpoch === 0) return aborted;
    aborted++;
  }
}

/**
 * Opens an exactly-once writer: ends the transactions of the restored checkpoint, aborts later
 * ones, then begins this attempt's first transaction.
 * @throws KafkaUnavailableError when the brokers cannot be reached
 */
export async function openExactlyOnce<T>(
  ctx: OperatorContext,
  restored: unknown[] | undefined,
  s: ExactlyOnceSetup<T>,
): Promise<SinkWriter<T>> {
  const plan = recoveryPlan(restored, ctx.subtask, ctx.parallelism);
  for (const t of plan.commit) {
    try {
      await endPreparedTransaction(s.client, t, true);
    } catch (err) {
      throwIfUnreachable(
        err,
        s.servers,
        `commit transaction ${t.transactionalId} of restored checkpoint ${t.checkpointId}`,
      );
      throw new KafkaTransactionError(
        `cannot commit transaction ${t.transactionalId} of restored checkpoint ${t.checkpointId}: ${(err as Error).message}` +
          ' (if the broker aborted it after transactionTimeoutMs, its records are lost)',
        err instanceof KafkaTransactionError ? err.brokerError : undefined,
        err,
      );
    }
  }
  let aborted = 0;
  try {
    for (const a of plan.abort)
      aborted += await abortLingering(s as ExactlyOnceSetup<unknown>, a.lineage, a.fromSeq);
  } catch (err) {
    throwIfUnreachable(err, s.servers, 'end lingering transactions');
    if (err instanceof KafkaTransactionError && err.brokerError === 'INVALID_TRANSACTION_TIMEOUT') {
      throw new KafkaSinkConfigError(
        `kafkaSink: the brokers at ${s.servers.join(', ')} refuse transactionTimeoutMs ${s.txnTimeout}: it exceeds their transaction.max.timeout.ms; lower it or raise the broker setting`,
        { cause: err },
      );
    }
    throw err;
  }
  if (plan.commit.length > 0 || aborted > 0) {
    ctx.log.info({ recommitted: plan.commit.length, aborted }, 'kafka sink recovered transactions');
  }

  let nextSeq = plan.nextSeq;
  let current: OpenTransaction | undefined;
  const prepared: OpenTransaction[] = [];
  let failure: Error | undefined;
  let committing: Promise<void> = Promise.resolve();

  const begin = (): OpenTransaction => {
    const seq = nextSeq++;
    const id = transactionalId(s.prefix, ctx.subtask, seq);
    const producer = new Producer<string, string, string, string>({
      clientId: `${s.prefix}-${ctx.subtask}`,
      bootstrapBrokers: s.servers,
      transactionalId: id,
      idempotent: true,
      acks: -1,
      // InitProducerId registers this as the transaction timeout (docs/connectors.md).
      timeout: s.txnTimeout,
      // A fresh registration; the client's default 0/0 is refused once the id has state.
      producerId: -1n,
      producerEpoch: -1,
      serializers: stringSerializers,
    });
    const entry: PendingKafkaTransaction = {
      checkpointId: -1,
      transactionalId: id,
      seq,
      producerId: '',
      producerEpoch: -1,
    };
    const txn = producer.beginTransaction().then((t) => {
      entry.producerId = String(producer.producerId);
      entry.producerEpoch = producer.producerEpoch!;
      return t;
    });
    const open: OpenTransaction = {
      entry,
      producer,
      txn,
      sent: txn.then(() => undefined),
      queue: [],
      inflight: 0,
    };
    return open;
  };

  const flush = (t: OpenTransaction) => {
    if (t.queue.length === 0) return;
    const messages = t.queue;
    t.queue = [];
    t.inflight += messages.length;
    t.sent = t.sent.then(async () => {
      await (await t.txn).send({ messages });
      t.inflight -= messages.length;
    });
    t.sent.catch((err: unknown) => {
      failure ??= err as Error;
    });
  };

  const state = (): KafkaSinkState => ({
    lineage: ctx.subtask,
    lastSeq: nextSeq - 1,
    pending: prepared.map((t) => t.entry),
  });

  return {
    write(value) {
      current ??= begin();
      current.queue.push(s.record(value));
      if (current.queue.length >= BATCH) flush(current);
    },
    preCommit(checkpointId): PreCommitResult {
      const t = current;
      current = undefined;
      if (!t) return { state: state(), durable: Promise.resolve() };
      flush(t);
      t.entry.checkpointId = checkpointId;
      prepared.push(t);
      // The producer id and epoch are filled in before `sent` resolves; the snapshot is encoded
      // only after `durable` (checkpoint/snapshot-writer.ts).
      return { state: state(), durable: t.sent };
    },
    commit(checkpointId) {
      committing = committing.then(async () => {
        if (failure) throw failure;
        while (prepared.length > 0 && prepared[0]!.entry.checkpointId <= checkpointId) {
          const t = prepared[0]!;
          await t.sent;
          await (await t.txn).commit();
          await t.producer.close();
          prepared.shift();
          ctx.log.debug(
            { checkpointId: t.entry.checkpointId, transactionalId: t.entry.transactionalId },
            'kafka transaction committed',
          );
        }
      });
      return committing;
    },
    ready() {
      if (failure) return Promise.reject(failure);
      if (current && current.inflight > 4 * BATCH) return current.sent;
      return undefined;
    },
    async close() {
      // Prepared transactions stay open on the broker: the next attempt commits or aborts them.
      const all = [...prepared, ...(current ? [current] : [])];
      await Promise.allSettled(all.map((t) => t.producer.close(true)));
    },
  };
}

/** Opens an at-least-once writer: an idempotent producer whose acks the barrier waits for. */
export function openAtLeastOnce<T>(
  ctx: OperatorContext,
  servers: string[],
  prefix: string,
  record: (v: T) => { topic: string; key?: string; value: string },
): SinkWriter<T> {
  const producer = new Producer<string, string, string, string>({
    clientId: `${prefix}-${ctx.subtask}`,
    bootstrapBrokers: servers,
    idempotent: true,
    acks: -1,
    producerId: -1n,
    producerEpoch: -1,
    serializers: stringSerializers,
  });
  let queue: Array<{ topic: string; key?: string; value: string }> = [];
  let sent: Promise<void> = Promise.resolve();
  let inflight = 0;
  let failure: Error | undefined;
  const flush = () => {
    if (queue.length === 0) return;
    const messages = queue;
    queue = [];
    inflight += messages.length;
    sent = sent.then(async () => {
      await producer.send({ messages });
      inflight -= messages.length;
    });
    sent.catch((err: unknown) => {
      failure ??= err as Error;
    });
  };
  return {
    write(value) {
      queue.push(record(value));
      if (queue.length >= BATCH) flush();
    },
    preCommit(): PreCommitResult {
      flush();
      return { state: null, durable: sent };
    },
    commit: () => (failure ? Promise.reject(failure) : Promise.resolve()),
    ready() {
      if (failure) return Promise.reject(failure);
      return inflight > 4 * BATCH ? sent : undefined;
    },
    async close() {
      await producer.close(true);
    },
  };
}
