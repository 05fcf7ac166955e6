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
