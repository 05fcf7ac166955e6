/**
 * Commits offsets to a Kafka consumer group without being a member of it — the "simple" commit
 * of a standalone consumer (generation −1, empty member id), which the broker accepts for a
 * group that has no active members. The Kafka source uses it after each completed checkpoint so
 * that tools watching the group (lag dashboards, `kafka-consumer-groups.sh`) see its progress;
 * the offsets are never read back for recovery (docs/connectors.md "Source").
 *
 * `@platformatic/kafka`'s Consumer commits with its own generation and member id (and joins the
 * group on a generation error), so this speaks the raw protocol: FindCoordinator (key type
 * GROUP) → OffsetCommit v9 on the coordinator, retrying coordinator and network errors for a
 * while; any other failure is reported to the caller, which logs it (the next checkpoint
 * commits newer offsets anyway).
 */
import { Connection, FindCoordinatorKeyTypes, findCoordinatorV6, offsetCommitV9 } from '@platformatic/kafka';
import { kafkaErrorId } from './kafka-errors.ts';
import { parseBroker } from './kafka-transactions.ts';

/** Broker errors after which the same request succeeds later (coordinator starting, moving or busy). */
const RETRIABLE = new Set([
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR',
  'REQUEST_TIMED_OUT',
]);

/** One partition's committed offset: the next offset to read. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** Committing offsets to a group failed; names the group and the broker's error. */
export class KafkaGroupCommitError extends Error {
  override name = 'KafkaGroupCommitError';
  /** The broker's error id (e.g. `UNKNOWN_MEMBER_ID` when the group has active members). */
  readonly brokerError: string | undefined;
  constructor(message: string, brokerError: string | undefined, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.brokerError = brokerError;
  }
}

/**
 * Commits `offsets` to group `groupId` as a standalone (non-member) consumer.
 * @param bootstrapServers `host:port` list; the first that answers finds the coordinator
 * @param timeoutMs connect and request timeout of each connection, ms
 * @param retryForMs coordinator errors (`COORDINATOR_NOT_AVAILABLE` while the offsets topic is
 *   created, `COORDINATOR_LOAD_IN_PROGRESS`, `NOT_COORDINATOR`, `REQUEST_TIMED_OUT`) and network
 *   errors are retried with backoff (100 ms doubling to 2 s) for this long, ms
 * @throws KafkaGroupCommitError naming the group and the broker's error (e.g. the group has
 *   active members, which own its offsets; a broker unreachable; authorization)
 */
export async function commitGroupOffsets(
  bootstrapServers: string[],
  clientId: string,
  groupId: string,
  offsets: readonly CommittedOffset[],
  timeoutMs = 10_000,
  retryForMs = 30_000,
): Promise<void> {
  if (offsets.length === 0) return;
  const topics = new Map<
    string,
    { name: string; partitions: offsetCommitV9.OffsetCommitRequestPartition[] }
  >();
  for (const o of offsets) {
    let t = topics.get(o.topic);
    if (!t) topics.set(o.topic, (t = { name: o.topic, partitions: [] }));
    t.partitions.push({
      partitionIndex: o.partition,
      committedOffset: BigInt(o.offset),
      committedLeaderEpoch: -1,
      committedMetadata: null,
    });
  }
  const deadline = Date.now() + retryForMs;
  let delay = 100;
  let lastErr: unknown;
  for (let attempt = 0; ; attempt++) {
    const address = bootstrapServers[attempt % bootstrapServers.length]!;
    const conns: Connection[] = [];
    const open = async (host: string, port: number) => {
      const c = new Connection(clientId, { connectTimeout: timeoutMs, requestTimeout: timeoutMs });
      conns.push(c);
      await c.connect(host, port);
      return c;
    };
    try {
      const boot = parseBroker(address);
      const found = await findCoordinatorV6.api.async(
        await open(boot.host, boot.port),
        FindCoordinatorKeyTypes.GROUP,
        [groupId],
      );
      const co = found.coordinators[0]!;
      await offsetCommitV9.api.async(await open(co.host, co.port), groupId, -1, '', null, [
        ...topics.values(),
      ]);
      return;
    } catch (err) {
      lastErr = err;
      const id = kafkaErrorId(err);
      if ((id !== undefined && !RETRIABLE.has(id)) || Date.now() + delay > deadline) break;
    } finally {
      await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 2000);
  }
  const id = kafkaErrorId(lastErr);
  throw new KafkaGroupCommitError(
    `committing offsets to group ${JSON.stringify(groupId)} failed${id ? ` with ${id}` : ''}: ${(lastErr as Error)?.message}`,
    id,
    lastErr,
  );
}
