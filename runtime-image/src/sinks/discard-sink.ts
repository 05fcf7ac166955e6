/**
 * Sink that drops every record (Flink's DiscardingSink): for benchmarks, where the output is
 * not the point and the cost of writing it must not be. Checkpoints pass through it with no
 * state; the stage output still counts the records written (`recordsWritten`, /metrics).
 */
import type { Sink, SinkWriter } from '../api/types.ts';

export function discardSink<T>(): Sink<T> {
  return {
    kind: 'discard',
    open(): Promise<SinkWriter<T>> {
      return Promise.resolve({
        write: () => undefined,
        preCommit: () => ({ state: null, durable: Promise.resolve() }),
        commit: () => Promise.resolve(),
        ready: () => undefined,
        close: () => Promise.resolve(),
      });
    },
  };
}
