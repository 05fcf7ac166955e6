package dev.sluice.bench.flink;

import java.io.Serializable;

/**
 * Record n (0-based, global) of a deterministic generator; must be a pure function of n
 * (Sluice's {@code generatorSource({generate})}).
 *
 * @param <T> record type
 */
@FunctionalInterface
public interface RecordGenerator<T> extends Serializable {
  /** Marks a record without event time. */
  long NO_TIMESTAMP = Long.MIN_VALUE;

  T generate(long n);

  /** Event time of record n in ms, or {@link #NO_TIMESTAMP}; non-decreasing in n. */
  default long timestamp(long n) {
    return NO_TIMESTAMP;
  }
}
