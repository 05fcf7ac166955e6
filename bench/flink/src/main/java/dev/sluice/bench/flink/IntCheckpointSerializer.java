package dev.sluice.bench.flink;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The enumerator checkpoint of the benchmark sources ({@link GeneratorSource}, {@link GatedSource}):
 * one int (the number of splits), 4 bytes big-endian, version 1.
 */
final class IntCheckpointSerializer implements SimpleVersionedSerializer<Integer> {
  @Override
  public int getVersion() {
    return 1;
  }

  @Override
  public byte[] serialize(Integer value) {
    return ByteBuffer.allocate(4).putInt(value).array();
  }

  @Override
  public Integer deserialize(int version, byte[] data) throws IOException {
    return ByteBuffer.wrap(data).getInt();
  }
}
