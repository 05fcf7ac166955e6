/**
 * Commits offsets to a Kafka consumer group without being a member of it — the "simple" commit
 * of a standalone consumer (generation −1, empty member id), which the broker accepts for a
 * group that has no active members. The Kafka source uses it after each completed checkpoint so
 * that tools watching the group (lag dashboards, `kafka-consumer-groups.sh`) see its progress;
 * the offsets are never read back for recovery (docs/connectors.md "Source").
 *
 * `@platformatic/kafka`'s Consumer commits with its own generation and member id (and joins the
 * group on a generation error), so this speaks the raw protocol: FindCoordinator (key type
 * GROUP) → OffsetCommit v9 on the coordinator. One attempt: a failed commit is reported to the
 * caller, which logs it; the next checkpoint commits newer offsets anyway.
 */
import { Connection, FindCoordinatorKeyTypes, findCoordinatorV6, offsetCommitV9 } from '@platformatic/kafka';
import { kafkaErrorId } from './kafka-errors.ts';
import { parseBroker } from './kafka-transactions.ts';

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
 * @throws KafkaGroupCommitError naming the group and the broker's error (e.g. the group has
 *   active members, which own its offsets; a broker unreachable; authorization)
 */
export async function commitGroupOffsets(
  bootstrapServers: string[],
  clientId: string,
  groupId: string,
  offsets: readonly CommittedOffset[],
  timeoutMs = 10_000,
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
  const conns: Connection[] = [];
  const open = async (host: string, port: number) => {
    const c = new Connection(clientId, { connectTimeout: timeoutMs, requestTimeout: timeoutMs });
    conns.push(c);
    await c.connect(host, port);
    return c;
  };
  let lastErr: unknown;
  try {
    for (const address of bootstrapServers) {
      const boot = parseBroker(address);
      let coordinator: { host: string; port: number };
      try {
        const found = await findCoordinatorV6.api.async(
          await open(boot.host, boot.port),
          FindCoordinatorKeyTypes.GROUP,
          [groupId],
        );
        coordinator = found.coordinators[0]!;
      } catch (err) {
        lastErr = err;
        continue;
      }
      try {
        await offsetCommitV9.api.async(
          await open(coordinator.host, coordinator.port),
          groupId,
          -1,
          '',
          null,
          [...topics.values()],
        );
        return;
      } catch (err) {
        lastErr = err;
        break;
      }
    }
  } finally {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  }
  const id = kafkaErrorId(lastErr);
  throw new KafkaGroupCommitError(
    `committing offsets to group ${JSON.stringify(groupId)} failed${id ? ` with ${id}` : ''}: ${(lastErr as Error)?.message}`,
    id,
    lastErr,
  );
}
