package dev.sluice.bench.flink;

import java.io.DataInputStream;
import java.io.IOException;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyedStateHandle;

/** What a completed checkpoint's {@code _metadata} file references. */
final class CheckpointFiles {
  private CheckpointFiles() {}

  /**
   * The shared files (RocksDB's SST files, possibly uploaded by an earlier checkpoint) that the
   * incremental keyed-state handles of the checkpoint at {@code externalPointer} (its directory,
   * {@code CompletedCheckpointStats.getExternalPath()}) reference. Reads {@code <dir>/_metadata}
   * through Flink's file systems (s3:// as configured by {@link LocalCluster}).
   *
   * @throws IOException when the metadata cannot be read (e.g. the checkpoint was already subsumed)
   */
  static int sharedFiles(String externalPointer) throws IOException {
    Path metadata = new Path(externalPointer, "_metadata");
    try (FSDataInputStream in = metadata.getFileSystem().open(metadata);
        DataInputStream data = new DataInputStream(in)) {
      CheckpointMetadata m = Checkpoints.loadCheckpointMetadata(data, CheckpointFiles.class.getClassLoader(), externalPointer);
      int n = 0;
      for (OperatorState op : m.getOperatorStates()) {
        for (OperatorSubtaskState s : op.getStates()) {
          for (KeyedStateHandle h : s.getManagedKeyedState()) {
            if (h instanceof IncrementalRemoteKeyedStateHandle inc) n += inc.getSharedState().size();
          }
        }
      }
      return n;
    }
  }
}
