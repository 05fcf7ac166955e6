/**
 * What the exactly-once Kafka sink relies on, probed on a real broker with
 * `@platformatic/kafka` (docs/connectors.md "Transactions"): commit and abort, read_committed
 * consumption, fencing by InitProducerId on the same transactional id, ending a prepared
 * transaction of a killed process from another one (io/kafka-transactions.ts), and
 * re-initialising a transactional id whose transaction was abandoned.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Producer, stringSerializers } from '@platformatic/kafka';
import {
  endPreparedTransaction,
  initTransactionalId,
  kafkaErrorId,
  KafkaTransactionError,
  type PreparedTransaction,
} from '../../runtime-image/src/io/kafka-transactions.ts';
import { startKafkaBroker, type KafkaBroker } from '../harness/kafka-broker.ts';
import { createTopic, readPartition } from '../harness/kafka-topics.ts';
import { repoRoot } from '../harness/paths.ts';
import { readHarnessState } from '../harness/state.ts';

/**
 * A transactional producer. `producerId: -1n, producerEpoch: -1` make its InitProducerId a
 * fresh registration (KIP-360's "no producer id"); the client's default, 0n/0, claims to be
 * producer 0 epoch 0, which the broker refuses with PRODUCER_FENCED once the transactional id
 * has state (see the last test).
 */
function txProducer(bootstrap: string, transactionalId: string, clientDefaults = false) {
  return new Producer({
    clientId: 'kafka-transactions-test',
    bootstrapBrokers: [bootstrap],
    serializers: stringSerializers,
    transactionalId,
    idempotent: true,
    acks: -1,
    timeout: 60_000,
    ...(clientDefaults ? {} : { producerId: -1n, producerEpoch: -1 }),
  });
}

/** Runs test/harness/kafka-abandoned-txn.ts, waits for its prepared transaction, SIGKILLs it. */
async function abandonTransaction(
  bootstrap: string,
  transactionalId: string,
  topic: string,
  values: string[],
) {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'test/harness/kafka-abandoned-txn.ts'), bootstrap, transactionalId, topic, ...values],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`abandoned-txn child exited (${code}) before preparing`)));
  });
  child.kill('SIGKILL');
  await exited;
  const info = JSON.parse(first) as { producerId: string; producerEpoch: number };
  const txn: PreparedTransaction = { transactionalId, ...info };
  return txn;
}

describe('Kafka transactions with @platformatic/kafka on a real broker', () => {
  let broker: KafkaBroker;
  let bootstrap: string;
  const client = () => ({
    bootstrapServers: [bootstrap],
    clientId: 'kafka-transactions-test',
    timeoutMs: 30_000,
  });

  beforeAll(async () => {
    broker = await startKafkaBroker(join(readHarnessState().workDir, `kafka-transactions-${process.pid}`));
    bootstrap = broker.bootstrap;
  }, 90_000);
  afterAll(() => broker?.stop());

  it('commit: records become visible to read_committed; abort: only read_uncommitted sees them', async () => {
    await createTopic(bootstrap, 'txn-basic');
    const p = txProducer(bootstrap, 'txn-basic-1');
    const t1 = await p.beginTransaction();
    await t1.send({
      messages: [
        { topic: 'txn-basic', value: 'c1', partition: 0 },
        { topic: 'txn-basic', value: 'c2', partition: 0 },
      ],
    });
    await t1.commit();
    const t2 = await p.beginTransaction();
    await t2.send({ messages: [{ topic: 'txn-basic', value: 'a1', partition: 0 }] });
    await t2.abort();
    const t3 = await p.beginTransaction();
    await t3.send({ messages: [{ topic: 'txn-basic', value: 'c3', partition: 0 }] });
    await t3.commit();
    await p.close();

    expect(await readPartition(bootstrap, 'txn-basic', 'read_committed')).toEqual(['c1', 'c2', 'c3']);
    expect(await readPartition(bootstrap, 'txn-basic', 'read_uncommitted')).toEqual(['c1', 'c2', 'a1', 'c3']);
  }, 90_000);

  it('InitProducerId on the same transactional id fences the older producer and aborts its open transaction', async () => {
    await createTopic(bootstrap, 'txn-fence');
    const old = txProducer(bootstrap, 'txn-fence-1');
    const tOld = await old.beginTransaction();
    await tOld.send({ messages: [{ topic: 'txn-fence', value: 'zombie', partition: 0 }] });
    const oldEpoch = old.producerEpoch!;

    const fresh = txProducer(bootstrap, 'txn-fence-1');
    const tNew = await fresh.beginTransaction();
    expect(fresh.producerEpoch).toBeGreaterThan(oldEpoch);
    await tNew.send({ messages: [{ topic: 'txn-fence', value: 'live', partition: 0 }] });
    await tNew.commit();

    const err = await tOld.commit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(kafkaErrorId(err)).toMatch(/^(PRODUCER_FENCED|INVALID_PRODUCER_EPOCH)$/);
    await Promise.all([old.close(true), fresh.close()]);
    expect(await readPartition(bootstrap, 'txn-fence', 'read_committed')).toEqual(['live']);
  }, 90_000);

  it('a prepared transaction of a killed process is committed from another process by (id, epoch)', async () => {
    await createTopic(bootstrap, 'txn-resume');
    const txn = await abandonTransaction(bootstrap, 'txn-resume-1', 'txn-resume', ['r1', 'r2']);
    expect(txn.producerEpoch).toBeGreaterThanOrEqual(0);
    await endPreparedTransaction(client(), txn, true);
    expect(await readPartition(bootstrap, 'txn-resume', 'read_committed')).toEqual(['r1', 'r2']);
    // Committing again (a restored attempt that cannot know whether its predecessor committed).
    await endPreparedTransaction(client(), txn, true);
    expect(await readPartition(bootstrap, 'txn-resume', 'read_committed')).toEqual(['r1', 'r2']);
  }, 90_000);

  it('a prepared transaction of a killed process is aborted from another process', async () => {
    await createTopic(bootstrap, 'txn-abort');
    const txn = await abandonTransaction(bootstrap, 'txn-abort-1', 'txn-abort', ['x1']);
    await endPreparedTransaction(client(), txn, false);
    expect(await readPartition(bootstrap, 'txn-abort', 'read_committed')).toEqual([]);
  }, 90_000);

  it('re-initialising a transactional id aborts the abandoned transaction; committing it afterwards is refused', async () => {
    await createTopic(bootstrap, 'txn-reinit');
    const txn = await abandonTransaction(bootstrap, 'txn-reinit-1', 'txn-reinit', ['lost']);
    const fenced = await initTransactionalId(client(), 'txn-reinit-1', 60_000);
    expect(fenced.producerId).toBe(txn.producerId);
    expect(fenced.producerEpoch).toBeGreaterThan(txn.producerEpoch);

    // A new producer on the same id works: begin, send, commit.
    const p = txProducer(bootstrap, 'txn-reinit-1');
    const t = await p.beginTransaction();
    await t.send({ messages: [{ topic: 'txn-reinit', value: 'after', partition: 0 }] });
    await t.commit();
    await p.close();

    const err = await endPreparedTransaction(client(), txn, true).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KafkaTransactionError);
    expect((err as KafkaTransactionError).brokerError).toMatch(/^(PRODUCER_FENCED|INVALID_PRODUCER_EPOCH)$/);
    expect((err as Error).message).toContain('txn-reinit-1');
    expect(await readPartition(bootstrap, 'txn-reinit', 'read_committed')).toEqual(['after']);
  }, 90_000);

  it('a new Producer on the id of an abandoned transaction begins after the broker aborted it', async () => {
    await createTopic(bootstrap, 'txn-takeover');
    await abandonTransaction(bootstrap, 'txn-takeover-1', 'txn-takeover', ['lost']);
    const p = txProducer(bootstrap, 'txn-takeover-1');
    const t = await p.beginTransaction();
    await t.send({ messages: [{ topic: 'txn-takeover', value: 'mine', partition: 0 }] });
    await t.commit();
    await p.close();
    expect(await readPartition(bootstrap, 'txn-takeover', 'read_committed')).toEqual(['mine']);
  }, 90_000);

  it('with the client default producer id 0/epoch 0, InitProducerId on an id that has state fails with PRODUCER_FENCED', async () => {
    await createTopic(bootstrap, 'txn-defaults');
    const first = txProducer(bootstrap, 'txn-defaults-1', true);
    const t = await first.beginTransaction();
    await t.send({ messages: [{ topic: 'txn-defaults', value: 'one', partition: 0 }] });
    await t.commit();
    await first.close();

    // The broker answers CONCURRENT_TRANSACTIONS (retriable) while the first commit's markers
    // are still being written; the answer after that is the one this test pins.
    let err: unknown;
    for (let i = 0; i < 40; i++) {
      const second = txProducer(bootstrap, 'txn-defaults-1', true);
      err = await second.beginTransaction().then(
        () => undefined,
        (e: unknown) => e,
      );
      await second.close(true);
      if (kafkaErrorId(err) !== 'CONCURRENT_TRANSACTIONS') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(kafkaErrorId(err)).toBe('PRODUCER_FENCED');
  }, 90_000);
});
