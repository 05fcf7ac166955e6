package dev.sluice.bench.flink;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.core.io.InputStatus;

/**
 * Reader of a {@link GatedSource}: emits the keys of records {@code next, next + 1, …} one per
 * {@code pollNext} while they are below the gate's release count, then waits on
 * {@link Gate#whenAbove(long)}. Without a split (subtasks other than 0) it only waits.
 */
final class GatedReader implements SourceReader<String, GeneratorSplit> {
  private final long keys;
  private final long stride;
  private boolean owned;
  /** Records emitted so far (the split's position). */
  private long next;
  /** The release count last read; records below it may be emitted without reading the gate. */
  private long limit;
  private CompletableFuture<Void> available = new CompletableFuture<>();

  GatedReader(long keys) {
    this.keys = keys;
    this.stride = KeyedValueKeys.strideFor(keys);
  }

  @Override
  public void start() {}

  @Override
  public InputStatus pollNext(ReaderOutput<String> output) {
    if (!owned) return nothingUntil(available.isDone() ? new CompletableFuture<>() : available);
    if (next >= limit) {
      limit = Gate.release();
      if (next >= limit) return nothingUntil(Gate.whenAbove(next));
    }
    output.collect(KeyedValueKeys.key(next, keys, stride));
    next++;
    return InputStatus.MORE_AVAILABLE;
  }

  private InputStatus nothingUntil(CompletableFuture<Void> wake) {
    available = wake;
    return InputStatus.NOTHING_AVAILABLE;
  }

  @Override
  public List<GeneratorSplit> snapshotState(long checkpointId) {
    return owned ? List.of(new GeneratorSplit(0, next)) : List.of();
  }

  @Override
  public CompletableFuture<Void> isAvailable() {
    return available;
  }

  @Override
  public void addSplits(List<GeneratorSplit> splits) {
    for (GeneratorSplit s : splits) {
      owned = true;
      next = s.next;
    }
    available.complete(null);
  }

  @Override
  public void notifyNoMoreSplits() {}

  @Override
  public void close() {
    available.complete(null);
  }
}
