package dev.sluice.bench.flink;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The gated source of Sluice's {@code bench/state/keyed-value-job.ts}: one split (partition 0,
 * read by subtask 0) whose record n is the key {@link KeyedValueKeys#key}; the reader emits
 * record n only while n &lt; {@link Gate#release()} and otherwise waits for the driver to raise
 * the gate. It never ends, so the job can be checkpointed any number of times. The split's
 * position is its checkpointed state ({@link GeneratorSplit}).
 */
public final class GatedSource implements Source<String, GeneratorSplit, Integer>, ResultTypeQueryable<String> {
  private static final long serialVersionUID = 1L;

  /** Key count of the job (the load phase's length). */
  final long keys;

  public GatedSource(long keys) {
    if (keys < 1) throw new IllegalArgumentException("keys must be ≥ 1, got " + keys);
    this.keys = keys;
  }

  @Override
  public Boundedness getBoundedness() {
    return Boundedness.CONTINUOUS_UNBOUNDED;
  }

  @Override
  public TypeInformation<String> getProducedType() {
    return Types.STRING;
  }

  @Override
  public SourceReader<String, GeneratorSplit> createReader(SourceReaderContext context) {
    return new GatedReader(keys);
  }

  @Override
  public SplitEnumerator<GeneratorSplit, Integer> createEnumerator(SplitEnumeratorContext<GeneratorSplit> context) {
    return new OneSplitEnumerator(context, false);
  }

  @Override
  public SplitEnumerator<GeneratorSplit, Integer> restoreEnumerator(
      SplitEnumeratorContext<GeneratorSplit> context, Integer checkpoint) {
    return new OneSplitEnumerator(context, true);
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
   * Assigns the one split (position 0) to subtask 0 when it registers and signals no more splits
   * to every reader; a restored enumerator assigns nothing (the reader restores its split from
   * its own state) except splits handed back after a failure.
   */
  private static final class OneSplitEnumerator implements SplitEnumerator<GeneratorSplit, Integer> {
    private final SplitEnumeratorContext<GeneratorSplit> context;
    private final List<GeneratorSplit> handedBack = new ArrayList<>();
    private boolean assigned;

    OneSplitEnumerator(SplitEnumeratorContext<GeneratorSplit> context, boolean restored) {
      this.context = context;
      this.assigned = restored;
    }

    @Override
    public void start() {}

    @Override
    public void addReader(int subtask) {
      if (subtask == 0) {
        if (!assigned) context.assignSplit(new GeneratorSplit(0, 0), 0);
        for (GeneratorSplit s : handedBack) context.assignSplit(s, 0);
        handedBack.clear();
        assigned = true;
      }
      context.signalNoMoreSplits(subtask);
    }

    @Override
    public void handleSplitRequest(int subtask, String host) {}

    @Override
    public void addSplitsBack(List<GeneratorSplit> splits, int subtask) {
      handedBack.addAll(splits);
    }

    @Override
    public Integer snapshotState(long checkpointId) {
      return 1;
    }

    @Override
    public void close() {}
  }
}
