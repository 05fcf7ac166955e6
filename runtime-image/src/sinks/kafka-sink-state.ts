/**
 * The pure parts of the exactly-once Kafka sink (docs/connectors.md "Sink"): transactional ids,
 * the sink's snapshot state, and what a subtask must do with a restored snapshot.
 *
 * Every subtask writes its transactions under a *lineage* of transactional ids
 * `<prefix>-<subtask>-<seq>`, seq = 1, 2, 3, … used in order, one per checkpoint that had
 * output (Flink's KafkaSink names them `<prefix>-<subtask>-<checkpoint>` the same way). The
 * snapshot of checkpoint N holds, per subtask, the last seq started before barrier N and the
 * transactions flushed but not yet committed, with producer id and epoch. After a crash the
 * restored attempt
 *   - commits every pending transaction of the snapshot (its checkpoint is complete; committing
 *     again is harmless, docs/connectors.md "Transactions"), and
 *   - aborts everything later of the lineage: InitProducerId on seq lastSeq+1, lastSeq+2, …
 *     aborts whatever is open there and fences its zombie producer, until an id the broker has
 *     never seen (epoch 0 after InitProducerId) — seqs are used without gaps, so no later one
 *     was used either.
 * New subtask i continues lineage i; subtask 0 also recovers lineages ≥ the new parallelism
 * (scale-in), which then end. One owner per lineage means no subtask aborts ids another uses.
 */

/** A flushed, not yet committed transaction. */
export interface PendingKafkaTransaction {
  checkpointId: number;
  transactionalId: string;
  seq: number;
  /** Decimal int64. */
  producerId: string;
  producerEpoch: number;
}

/** Snapshot state of one sink subtask. */
export interface KafkaSinkState {
  /** The lineage this state belongs to (the subtask index that wrote it). */
  lineage: number;
  /** Highest seq of the lineage started before the barrier (0: none yet). */
  lastSeq: number;
  pending: PendingKafkaTransaction[];
}

/** The transactional id of transaction `seq` of lineage `lineage`. */
export function transactionalId(prefix: string, lineage: number, seq: number): string {
  return `${prefix}-${lineage}-${seq}`;
}

/** What one subtask does with the restored sink states before it writes. */
export interface SinkRecoveryPlan {
  /** Pending transactions to commit, in checkpoint order. */
  commit: PendingKafkaTransaction[];
  /** Lineages whose ids from `fromSeq` on are re-initialised (aborted) until a never-used one. */
  abort: Array<{ lineage: number; fromSeq: number }>;
  /** Seq of this subtask's next transaction. */
  nextSeq: number;
}

/**
 * The recovery plan of `subtask` of `parallelism` given the sink states of all subtasks of the
 * restored snapshot (undefined on a fresh start: nothing to recover, but a lineage may still hold
 * transactions of an attempt that died before its first checkpoint, so it is probed from seq 1).
 * @throws Error when two states claim the same lineage (a corrupt or mixed snapshot)
 */
export function recoveryPlan(
  restored: readonly unknown[] | undefined,
  subtask: number,
  parallelism: number,
): SinkRecoveryPlan {
  const byLineage = new Map<number, KafkaSinkState>();
  for (const raw of restored ?? []) {
    if (raw === null || typeof raw !== 'object') continue;
    const s = raw as Partial<KafkaSinkState>;
    if (typeof s.lineage !== 'number' || typeof s.lastSeq !== 'number' || !Array.isArray(s.pending)) continue;
    if (byLineage.has(s.lineage))
      throw new Error(`kafka sink: the snapshot holds two states of lineage ${s.lineage}`);
    byLineage.set(s.lineage, s as KafkaSinkState);
  }
  const mine = (lineage: number) => lineage === subtask || (subtask === 0 && lineage >= parallelism);
  const commit: PendingKafkaTransaction[] = [];
  const abort: Array<{ lineage: number; fromSeq: number }> = [];
  for (const [lineage, s] of [...byLineage].sort((a, b) => a[0] - b[0])) {
    if (!mine(lineage)) continue;
    commit.push(...s.pending);
    abort.push({ lineage, fromSeq: s.lastSeq + 1 });
  }
  if (!byLineage.has(subtask)) abort.push({ lineage: subtask, fromSeq: 1 });
  commit.sort((a, b) => a.checkpointId - b.checkpointId || a.seq - b.seq);
  abort.sort((a, b) => a.lineage - b.lineage);
  return { commit, abort, nextSeq: (byLineage.get(subtask)?.lastSeq ?? 0) + 1 };
}

/** Invalid Kafka sink options; the message names the option. */
export class KafkaSinkConfigError extends Error {
  override name = 'KafkaSinkConfigError';
}

/**
 * The transaction timeout rule (docs/connectors.md): a transaction is open from its first
 * record until the commit of the checkpoint after it, so up to one checkpoint interval plus the
 * checkpoint's own duration (bounded by its timeout). The broker aborts it after the timeout
 * registered for it, which may not exceed `transaction.max.timeout.ms`.
 * @throws KafkaSinkConfigError when interval + checkpoint timeout ≥ transaction timeout, or the
 *   transaction timeout exceeds the broker's maximum (when known)
 */
export function checkTransactionTimeout(
  transactionTimeoutMs: number,
  checkpoint: { intervalMs: number; timeoutMs: number } | undefined,
  brokerMaxTimeoutMs: number | undefined,
): void {
  if (!Number.isInteger(transactionTimeoutMs) || transactionTimeoutMs < 1000) {
    throw new KafkaSinkConfigError(
      `kafkaSink: transactionTimeoutMs must be an integer ≥ 1000, got ${transactionTimeoutMs}`,
    );
  }
  if (brokerMaxTimeoutMs !== undefined && transactionTimeoutMs > brokerMaxTimeoutMs) {
    throw new KafkaSinkConfigError(
      `kafkaSink: transactionTimeoutMs ${transactionTimeoutMs} exceeds the broker's transaction.max.timeout.ms ${brokerMaxTimeoutMs}; lower it or raise the broker setting`,
    );
  }
  if (checkpoint && checkpoint.intervalMs + checkpoint.timeoutMs >= transactionTimeoutMs) {
    throw new KafkaSinkConfigError(
      `kafkaSink: checkpoint interval ${checkpoint.intervalMs} ms + checkpoint timeout ${checkpoint.timeoutMs} ms ` +
        `must be below transactionTimeoutMs ${transactionTimeoutMs} ms, or the broker aborts transactions before their checkpoint commits them`,
    );
  }
}
