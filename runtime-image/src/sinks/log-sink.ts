/**
 * Sink that logs every record as a JSON log line (`msg: "record"`). For demos and debugging:
 * records are written when processed, so after a restore they may appear twice (at-least-once).
 */
import type { OperatorContext, Sink, SinkWriter } from '../api/types.ts';

export function logSink<T>(): Sink<T> {
  return {
    kind: 'log',
    open(ctx: OperatorContext): Promise<SinkWriter<T>> {
      return Promise.resolve({
        write: (value: T, timestamp: number) => ctx.log.info({ record: value, timestamp }, 'record'),
        preCommit: () => ({ state: null, durable: Promise.resolve() }),
        commit: () => Promise.resolve(),
        ready: () => undefined,
        close: () => Promise.resolve(),
      });
    },
  };
}
