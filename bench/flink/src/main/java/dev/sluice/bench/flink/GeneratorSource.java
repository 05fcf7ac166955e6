package dev.sluice.bench.flink;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Deterministic generator source with the semantics of Sluice's
 * {@code runtime-image/src/sources/generator-source.ts}: record n is {@code generator(n)}; the
 * sequence is cut into {@code partitions} splits (partition k holds n ≡ k mod partitions) and
 * partition k is read by subtask k mod parallelism; a reader emits the records of its
 * partitions in global order; an optional rate (records/s over all partitions) gives each
 * subtask its partitions' share.
 *
 * <p>{@code idleWhenDone}: after the last record the reader stays running without input (as a
 * Sluice job whose source is exhausted waits for its final checkpoint) instead of finishing, so
 * checkpoints can still be taken. Assignment is static; it does not rescale on restore (the
 * benchmark restores at the same parallelism).
 *
 * @param <T> record type
 */
public final class GeneratorSource<T> implements Source<T, GeneratorSplit, Integer>, ResultTypeQueryable<T> {
  private static final long serialVersionUID = 1L;

  /** Total records over all partitions; {@link Long#MAX_VALUE} for an unbounded stream. */
  final long count;
  final int partitions;
  /** Records/s over all partitions; 0 = unlimited. */
  final double rate;
  final boolean idleWhenDone;
  final RecordGenerator<T> generator;
  private final TypeInformation<T> type;

  public GeneratorSource(
      long count, int partitions, double rate, boolean idleWhenDone, RecordGenerator<T> generator, TypeInformation<T> type) {
    if (partitions < 1) throw new IllegalArgumentException("partitions must be ≥ 1, got " + partitions);
    if (count < 0) throw new IllegalArgumentException("count must be ≥ 0, got " + count);
    this.count = count;
    this.partitions = partitions;
    this.rate = rate;
    this.idleWhenDone = idleWhenDone;
    this.generator = generator;
    this.type = type;
  }

  /** Records of partition k (n ≡ k mod partitions, n < count). */
  long partitionSize(int k) {
    return partitionSize(count, partitions, k);
  }

  /** Records of partition k when {@code count} records are spread over {@code partitions}. */
  static long partitionSize(long count, int partitions, int k) {
    if (count == Long.MAX_VALUE) return Long.MAX_VALUE;
    return Math.max(0, (count - k + partitions - 1) / partitions);
  }

  @Override
  public Boundedness getBoundedness() {
    return count == Long.MAX_VALUE || idleWhenDone ? Boundedness.CONTINUOUS_UNBOUNDED : Boundedness.BOUNDED;
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return type;
  }

  @Override
  public SourceReader<T, GeneratorSplit> createReader(SourceReaderContext context) {
    return new GeneratorReader<>(this, context.getIndexOfSubtask());
  }

  @Override
  public SplitEnumerator<GeneratorSplit, Integer> createEnumerator(SplitEnumeratorContext<GeneratorSplit> context) {
    return new StaticEnumerator(context, false);
  }

  @Override
  public SplitEnumerator<GeneratorSplit, Integer> restoreEnumerator(
      SplitEnumeratorContext<GeneratorSplit> context, Integer checkpoint) {
    return new StaticEnumerator(context, true);
  }

  @Override
  public SimpleVersionedSerializer<GeneratorSplit> getSplitSerializer() {
    return new GeneratorSplit.Serializer();
  }

  @Override
  public SimpleVersionedSerializer<Integer> getEnumeratorCheckpointSerializer() {
    return new IntCheckpointSerializer();
  }

  /**
   * Assigns partition k to reader k mod parallelism when it registers, then signals no more
   * splits. After a restore the readers get their splits back from their own state, so a
   * restored enumerator assigns nothing (only splits handed back after a failure).
   */
  private final class StaticEnumerator implements SplitEnumerator<GeneratorSplit, Integer> {
    private final SplitEnumeratorContext<GeneratorSplit> context;
    private final boolean restored;
    private final Map<Integer, List<GeneratorSplit>> handedBack = new HashMap<>();

    StaticEnumerator(SplitEnumeratorContext<GeneratorSplit> context, boolean restored) {
      this.context = context;
      this.restored = restored;
    }

    @Override
    public void start() {}

    @Override
    public void addReader(int subtask) {
      List<GeneratorSplit> splits = new ArrayList<>(handedBack.getOrDefault(subtask, List.of()));
      handedBack.remove(subtask);
      if (!restored) {
        for (int k = subtask; k < partitions; k += context.currentParallelism()) splits.add(new GeneratorSplit(k, 0));
      }
      for (GeneratorSplit s : splits) context.assignSplit(s, subtask);
      context.signalNoMoreSplits(subtask);
    }

    @Override
    public void handleSplitRequest(int subtask, String host) {}

    @Override
    public void addSplitsBack(List<GeneratorSplit> splits, int subtask) {
      handedBack.computeIfAbsent(subtask, s -> new ArrayList<>()).addAll(splits);
    }

    @Override
    public Integer snapshotState(long checkpointId) {
      return partitions;
    }

    @Override
    public void close() {}
  }
}
