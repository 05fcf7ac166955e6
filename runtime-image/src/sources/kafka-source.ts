/**
 * Kafka source (docs/connectors.md "Source"): the options are checked when the job is defined;
 * the reader (kafka-source-reader.ts) and with it the Kafka client are loaded only when the
 * source opens, so a worker whose job reads no Kafka topic never loads the client
 * (docs/runtime.md "Execution").
 */
import type { OperatorContext, Source, SourceReader, SplitState } from '../api/types.ts';
import { resolveKafkaSourceOptions, type KafkaSourceOptions } from './kafka-source-options.ts';

export { KafkaSourceError } from './kafka-partitions.ts';
export { KafkaSourceConfigError, type KafkaSourceOptions } from './kafka-source-options.ts';

/** A Kafka source. @throws KafkaSourceConfigError on invalid options (at job definition) */
export function kafkaSource<T = unknown>(options: KafkaSourceOptions): Source<T> {
  const o = resolveKafkaSourceOptions(options);
  return {
    kind: 'kafka',
    async open(ctx: OperatorContext, restored: SplitState[] | undefined): Promise<SourceReader<T>> {
      const { KafkaSourceReader } = await import('./kafka-source-reader.ts');
      const reader = new KafkaSourceReader<T>(o, ctx, restored);
      await reader.start();
      return reader;
    },
  };
}
