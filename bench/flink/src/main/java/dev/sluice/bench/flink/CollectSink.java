package dev.sluice.bench.flink;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * A sink that gathers every record in a queue of this JVM under {@code name}: for QueryCheck,
 * whose MiniCluster runs in the same JVM (as Probes' counters). Not for benchmarks.
 */
final class CollectSink<T> implements Sink<T> {
  private static final long serialVersionUID = 1L;
  private static final Map<String, ConcurrentLinkedQueue<Object>> QUEUES = new ConcurrentHashMap<>();
  private final String name;

  CollectSink(String name) {
    this.name = name;
    QUEUES.put(name, new ConcurrentLinkedQueue<>());
  }

  /** Everything collected under {@code name}. */
  static List<Object> collected(String name) {
    return List.copyOf(QUEUES.getOrDefault(name, new ConcurrentLinkedQueue<>()));
  }

  @Override
  public SinkWriter<T> createWriter(WriterInitContext context) {
    ConcurrentLinkedQueue<Object> q = QUEUES.get(name);
    return new SinkWriter<>() {
      @Override
      public void write(T element, Context ctx) {
        q.add(element);
      }

      @Override
      public void flush(boolean endOfInput) {}

      @Override
      public void close() {}
    };
  }
}
