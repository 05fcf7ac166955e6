/** Reading the Kafka protocol error out of the errors `@platformatic/kafka` throws. */

/**
 * The protocol error id (`PRODUCER_FENCED`, `INVALID_TXN_STATE`, ...) inside an error thrown by
 * `@platformatic/kafka`, or undefined for errors that carry none (network, timeouts, ours).
 */
export function kafkaErrorId(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { apiId?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.apiId === 'string') return e.apiId;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const id = kafkaErrorId(inner);
      if (id) return id;
    }
  }
  return e.cause === undefined ? undefined : kafkaErrorId(e.cause);
}

/**
 * The brokers cannot be reached, or a topic the job names does not exist: a fault of the
 * environment, not of the job, which a later attempt may not meet. Its message names the
 * bootstrap servers or the topic. The operator restarts a job failing with it with backoff,
 * Degraded `KafkaUnavailable`, without spending the restart budget (docs/connectors.md
 * "Unreachable brokers and missing topics").
 */
export class KafkaUnavailableError extends Error {
  override name = 'KafkaUnavailableError';
}
