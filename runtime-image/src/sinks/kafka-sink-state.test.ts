import {
  checkTransactionTimeout,
  KafkaSinkConfigError,
  recoveryPlan,
  transactionalId,
  type KafkaSinkState,
  type PendingKafkaTransaction,
} from './kafka-sink-state.ts';

function pending(lineage: number, seq: number, checkpointId: number): PendingKafkaTransaction {
  return {
    checkpointId,
    transactionalId: transactionalId('p', lineage, seq),
    seq,
    producerId: '7',
    producerEpoch: 0,
  };
}

function state(lineage: number, lastSeq: number, ...p: PendingKafkaTransaction[]): KafkaSinkState {
  return { lineage, lastSeq, pending: p };
}

describe('Kafka sink recovery plan', () => {
  it('fresh start: nothing to commit; the own lineage is probed from seq 1 (an attempt may have died before its first checkpoint)', () => {
    expect(recoveryPlan(undefined, 2, 3)).toEqual({
      commit: [],
      abort: [{ lineage: 2, fromSeq: 1 }],
      nextSeq: 1,
    });
  });

  it('same parallelism: each subtask commits its own pending transactions and aborts its lineage after lastSeq', () => {
    const restored = [
      state(0, 4, pending(0, 4, 9)),
      state(1, 6, pending(1, 5, 8), pending(1, 6, 9)),
      state(2, 0),
    ];
    expect(recoveryPlan(restored, 1, 3)).toEqual({
      commit: [pending(1, 5, 8), pending(1, 6, 9)],
      abort: [{ lineage: 1, fromSeq: 7 }],
      nextSeq: 7,
    });
    expect(recoveryPlan(restored, 2, 3)).toEqual({
      commit: [],
      abort: [{ lineage: 2, fromSeq: 1 }],
      nextSeq: 1,
    });
  });

  it('scale-in 3 → 2: subtask 0 also recovers lineage 2, which ends; subtask 1 only its own', () => {
    const restored = [state(0, 3, pending(0, 3, 5)), state(1, 2), state(2, 4, pending(2, 4, 5))];
    expect(recoveryPlan(restored, 0, 2)).toEqual({
      commit: [pending(0, 3, 5), pending(2, 4, 5)],
      abort: [
        { lineage: 0, fromSeq: 4 },
        { lineage: 2, fromSeq: 5 },
      ],
      nextSeq: 4,
    });
    expect(recoveryPlan(restored, 1, 2)).toEqual({
      commit: [],
      abort: [{ lineage: 1, fromSeq: 3 }],
      nextSeq: 3,
    });
  });

  it('scale-out 2 → 3: the new subtask starts its lineage, probing it from 1', () => {
    const restored = [state(0, 3), state(1, 2)];
    expect(recoveryPlan(restored, 2, 3)).toEqual({
      commit: [],
      abort: [{ lineage: 2, fromSeq: 1 }],
      nextSeq: 1,
    });
  });

  it('refuses two states of one lineage and ignores states of other sinks', () => {
    expect(() => recoveryPlan([state(0, 1), state(0, 2)], 0, 1)).toThrow('two states of lineage 0');
    expect(recoveryPlan([null, { subtask: 0, pending: [] }], 0, 1)).toEqual({
      commit: [],
      abort: [{ lineage: 0, fromSeq: 1 }],
      nextSeq: 1,
    });
  });
});

describe('transaction timeout rule', () => {
  it('accepts interval + checkpoint timeout below the transaction timeout, within the broker maximum', () => {
    expect(() =>
      checkTransactionTimeout(600_000, { intervalMs: 60_000, timeoutMs: 120_000 }, 900_000),
    ).not.toThrow();
    expect(() => checkTransactionTimeout(600_000, undefined, undefined)).not.toThrow();
  });

  it('rejects what cannot commit before the broker aborts, with the numbers in the message', () => {
    expect(() =>
      checkTransactionTimeout(60_000, { intervalMs: 30_000, timeoutMs: 30_000 }, undefined),
    ).toThrow(KafkaSinkConfigError);
    expect(() =>
      checkTransactionTimeout(60_000, { intervalMs: 30_000, timeoutMs: 30_000 }, undefined),
    ).toThrow(
      'checkpoint interval 30000 ms + checkpoint timeout 30000 ms must be below transactionTimeoutMs 60000 ms',
    );
    expect(() => checkTransactionTimeout(1_000_000, undefined, 900_000)).toThrow(
      "transactionTimeoutMs 1000000 exceeds the broker's transaction.max.timeout.ms 900000",
    );
    expect(() => checkTransactionTimeout(10, undefined, undefined)).toThrow(
      'transactionTimeoutMs must be an integer ≥ 1000',
    );
  });
});
