/**
 * A producer process that opens a Kafka transaction, writes records in it, prints
 * `{"producerId": "...", "producerEpoch": n}` on stdout and then waits to be killed — a worker
 * that crashed between flushing a transaction and committing it. Used by the kafka-* tests:
 *
 *   node test/harness/kafka-abandoned-txn.ts BOOTSTRAP TRANSACTIONAL_ID TOPIC VALUE...
 */
import { Producer, stringSerializers } from '@platformatic/kafka';

const [bootstrap, transactionalId, topic, ...values] = process.argv.slice(2);
if (!bootstrap || !transactionalId || !topic) {
  process.stderr.write('usage: kafka-abandoned-txn.ts BOOTSTRAP TRANSACTIONAL_ID TOPIC VALUE...\n');
  process.exit(2);
}
const producer = new Producer({
  clientId: 'sluice-test-abandoned',
  bootstrapBrokers: [bootstrap],
  serializers: stringSerializers,
  transactionalId,
  idempotent: true,
  acks: -1,
  // The transaction timeout the client registers (InitProducerId) is this request timeout.
  timeout: 60_000,
  // A fresh registration (KIP-360 "no producer id"); docs/connectors.md "Transactions".
  producerId: -1n,
  producerEpoch: -1,
});
const txn = await producer.beginTransaction();
await txn.send({ messages: values.map((value) => ({ topic, value, partition: 0 })) });
process.stdout.write(
  `${JSON.stringify({ producerId: String(producer.producerId), producerEpoch: producer.producerEpoch })}\n`,
);
setInterval(() => undefined, 60_000);
