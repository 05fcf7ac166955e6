package dev.sluice.bench.flink;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Partition {@code partition} of a generator source and its position: records n ≡ partition
 * (mod partitions), of which {@code next} were already emitted (Sluice's {@code GeneratorSplit}).
 */
public final class GeneratorSplit implements SourceSplit {
  public final int partition;
  /** Records of this partition already emitted. */
  public final long next;

  public GeneratorSplit(int partition, long next) {
    this.partition = partition;
    this.next = next;
  }

  @Override
  public String splitId() {
    return "partition-" + partition;
  }

  @Override
  public String toString() {
    return splitId() + "@" + next;
  }

  /** Binary form in checkpoints: int partition, long next. */
  public static final class Serializer implements SimpleVersionedSerializer<GeneratorSplit> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(GeneratorSplit s) throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(12);
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeInt(s.partition);
        out.writeLong(s.next);
      }
      return bytes.toByteArray();
    }

    @Override
    public GeneratorSplit deserialize(int version, byte[] data) throws IOException {
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
        return new GeneratorSplit(in.readInt(), in.readLong());
      }
    }
  }
}
