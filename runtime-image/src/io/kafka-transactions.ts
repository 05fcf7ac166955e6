/**
 * Kafka transaction protocol calls made outside a producer: ending a prepared transaction by
 * its (transactional id, producer id, epoch) — what a restored sink subtask does with the
 * transactions listed in its checkpoint — and re-initialising a transactional id, which aborts
 * whatever transaction is open on it and fences its producer (docs/connectors.md "Transactions").
 *
 * `@platformatic/kafka`'s Producer can only end the transaction it began itself, so these speak
 * the raw protocol: FindCoordinator (key type TRANSACTION) → EndTxn v4 / InitProducerId v5 on
 * the coordinator. EndTxn below v5 keeps the broker on transaction protocol v1 semantics (no
 * epoch bump per transaction), the same as the Producer's own requests. The client is imported
 * by the calls, not by this module: the Kafka sink's options check (`parseBroker`) must not load
 * it (docs/runtime.md "Execution").
 */
import type { Broker, Connection } from '@platformatic/kafka';
import { kafkaErrorId } from './kafka-errors.ts';

export { kafkaErrorId } from './kafka-errors.ts';

/** A transaction that was flushed but not ended: enough to commit or abort it from anywhere. */
export interface PreparedTransaction {
  transactionalId: string;
  /** Producer id as a decimal string (int64; msgpack- and JSON-safe). */
  producerId: string;
  producerEpoch: number;
}

/** Ending or fencing a transaction failed for good; names the transactional id and the broker's error. */
export class KafkaTransactionError extends Error {
  override name = 'KafkaTransactionError';
  /** The broker's error id (e.g. `PRODUCER_FENCED`), when it answered with one. */
  readonly brokerError: string | undefined;
  constructor(message: string, brokerError: string | undefined, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.brokerError = brokerError;
  }
}

/** Broker errors after which the same request succeeds later (coordinator moving or busy). */
const RETRIABLE = new Set([
  'CONCURRENT_TRANSACTIONS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'REQUEST_TIMED_OUT',
]);

/**
 * `host:port` → Broker.
 * @throws KafkaTransactionError on anything else
 */
export function parseBroker(address: string): Broker {
  const m = /^(.+):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new KafkaTransactionError(
      `bootstrap server ${JSON.stringify(address)} is not host:port`,
      undefined,
    );
  }
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/** Where to reach the brokers and how long to keep retrying. */
export interface TransactionClientOptions {
  bootstrapServers: string[];
  clientId: string;
  /** Give up retrying after this many ms (default 60 000). */
  timeoutMs?: number;
}

async function withCoordinator<T>(
  opts: TransactionClientOptions,
  transactionalId: string,
  what: string,
  call: (coordinator: Connection) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const brokers = opts.bootstrapServers.map(parseBroker);
  const { Connection, FindCoordinatorKeyTypes, findCoordinatorV6 } = await import('@platformatic/kafka');
  let delay = 100;
  for (let attempt = 0; ; attempt++) {
    const boot = brokers[attempt % brokers.length]!;
    const conns: Connection[] = [];
    const open = async (b: Broker) => {
      const c = new Connection(opts.clientId, { connectTimeout: 5000, requestTimeout: 15_000 });
      conns.push(c);
      await c.connect(b.host, b.port);
      return c;
    };
    try {
      const found = await findCoordinatorV6.api.async(await open(boot), FindCoordinatorKeyTypes.TRANSACTION, [
        transactionalId,
      ]);
      const co = found.coordinators[0]!;
      return await call(await open({ host: co.host, port: co.port }));
    } catch (err) {
      const id = kafkaErrorId(err);
      const retriable = id === undefined || RETRIABLE.has(id);
      if (!retriable || Date.now() + delay > deadline) {
        throw new KafkaTransactionError(
          `${what} of transactional id ${JSON.stringify(transactionalId)} failed` +
            `${id ? ` with ${id}` : ''}: ${(err as Error).message}`,
          id,
          err,
        );
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    } finally {
      await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    }
  }
}

/**
 * Commits (or aborts) `txn` on its transaction coordinator. Committing a transaction that is
 * already committed with the same epoch succeeds again (the coordinator treats it as a retry),
 * so a restored subtask may commit what its predecessor may or may not have committed.
 * @throws KafkaTransactionError when the broker refuses: `PRODUCER_FENCED` /
 *   `INVALID_PRODUCER_EPOCH` mean the transaction was aborted meanwhile (its
 *   `transaction.timeout.ms` passed, or the transactional id was re-initialised) — its records
 *   are lost to read_committed consumers, which the caller must surface, never ignore.
 */
export async function endPreparedTransaction(
  opts: TransactionClientOptions,
  txn: PreparedTransaction,
  commit: boolean,
): Promise<void> {
  const { endTxnV4 } = await import('@platformatic/kafka');
  await withCoordinator(opts, txn.transactionalId, commit ? 'commit' : 'abort', (c) =>
    endTxnV4.api.async(c, txn.transactionalId, BigInt(txn.producerId), txn.producerEpoch, commit),
  );
}

/**
 * InitProducerId on `transactionalId`: the coordinator aborts a transaction still open on it,
 * bumps the epoch (fencing every producer holding an older one) and returns the new id/epoch.
 * @param transactionTimeoutMs the transaction timeout registered for the id, ms
 * @throws KafkaTransactionError when the broker refuses (e.g. the timeout exceeds the broker's
 *   `transaction.max.timeout.ms`: INVALID_TRANSACTION_TIMEOUT)
 */
export async function initTransactionalId(
  opts: TransactionClientOptions,
  transactionalId: string,
  transactionTimeoutMs: number,
): Promise<{ producerId: string; producerEpoch: number }> {
  const { initProducerIdV5 } = await import('@platformatic/kafka');
  const r = await withCoordinator(opts, transactionalId, 'InitProducerId', (c) =>
    initProducerIdV5.api.async(c, transactionalId, transactionTimeoutMs, -1n, -1),
  );
  return { producerId: r.producerId.toString(), producerEpoch: r.producerEpoch };
}
