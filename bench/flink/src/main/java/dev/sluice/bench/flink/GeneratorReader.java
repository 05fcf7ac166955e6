package dev.sluice.bench.flink;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.core.io.InputStatus;

/**
 * Reader of a {@link GeneratorSource}: emits the records of its partitions in global order
 * (the partition whose next record has the smallest n first), one per {@code pollNext}, with the
 * record's event time when it has one. Rate-limited readers wait on a timer when out of tokens.
 * Every emitted record is counted in {@link Probes#emitted} for this subtask.
 */
final class GeneratorReader<T> implements SourceReader<T, GeneratorSplit> {
  private static final class Partition {
    final int k;
    final long size;
    long next;

    Partition(int k, long next, long size) {
      this.k = k;
      this.next = next;
      this.size = size;
    }
  }

  private final GeneratorSource<T> source;
  private final int subtask;
  private final List<Partition> owned = new ArrayList<>();
  private boolean noMoreSplits;
  private RateLimiter limiter = new RateLimiter(0);
  private ScheduledExecutorService timer;
  private CompletableFuture<Void> available = new CompletableFuture<>();
  private long emitted;

  GeneratorReader(GeneratorSource<T> source, int subtask) {
    this.source = source;
    this.subtask = subtask;
  }

  @Override
  public void start() {}

  @Override
  public InputStatus pollNext(ReaderOutput<T> output) {
    Partition best = null;
    long bestN = Long.MAX_VALUE;
    for (Partition p : owned) {
      if (p.next >= p.size) continue;
      long n = p.next * source.partitions + p.k;
      if (n < bestN) {
        bestN = n;
        best = p;
      }
    }
    if (best == null) {
      if (noMoreSplits && !source.idleWhenDone) return InputStatus.END_OF_INPUT;
      if (available.isDone()) available = new CompletableFuture<>(); // completed by addSplits or close
      return InputStatus.NOTHING_AVAILABLE;
    }
    if (!limiter.tryTake()) {
      CompletableFuture<Void> wake = new CompletableFuture<>();
      available = wake;
      timer().schedule(() -> wake.complete(null), limiter.msUntilNextToken(), TimeUnit.MILLISECONDS);
      return InputStatus.NOTHING_AVAILABLE;
    }
    T record = source.generator.generate(bestN);
    long ts = source.generator.timestamp(bestN);
    if (ts == RecordGenerator.NO_TIMESTAMP) output.collect(record);
    else output.collect(record, ts);
    best.next++;
    Probes.emitted(subtask, ++emitted);
    return InputStatus.MORE_AVAILABLE;
  }

  private ScheduledExecutorService timer() {
    if (timer == null) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "generator-rate-" + subtask);
        t.setDaemon(true);
        return t;
      });
    }
    return timer;
  }

  @Override
  public List<GeneratorSplit> snapshotState(long checkpointId) {
    List<GeneratorSplit> out = new ArrayList<>(owned.size());
    for (Partition p : owned) out.add(new GeneratorSplit(p.k, p.next));
    return out;
  }

  @Override
  public CompletableFuture<Void> isAvailable() {
    return available;
  }

  @Override
  public void addSplits(List<GeneratorSplit> splits) {
    for (GeneratorSplit s : splits) owned.add(new Partition(s.partition, s.next, source.partitionSize(s.partition)));
    owned.sort(Comparator.comparingInt(p -> p.k));
    // This subtask's share of the rate: its partitions out of all.
    limiter = new RateLimiter(source.rate > 0 ? source.rate * owned.size() / source.partitions : 0);
    available.complete(null);
  }

  @Override
  public void notifyNoMoreSplits() {
    noMoreSplits = true;
    available.complete(null);
  }

  @Override
  public void close() {
    available.complete(null);
    if (timer != null) timer.shutdownNow();
  }
}
