/**
 * A job module for the kafka-* integration tests (SLUICE_JOB_ENTRY = this path): counts JSON
 * records `{key, ts}` from `kafkaSource` (event time = `ts`) per key in 1 s tumbling windows and
 * logs the results (`logSink`). spec.job.config.kafka = the source options without `format` and
 * `timestampField`.
 */
import {
  defineJob,
  kafkaSource,
  logSink,
  tumbling,
  type KafkaSourceOptions,
} from '../../runtime-image/src/api/index.ts';

export default defineJob((env, ctx) => {
  const options = (ctx.config as { kafka: Omit<KafkaSourceOptions, 'format' | 'timestampField'> }).kafka;
  env
    .fromSource(
      kafkaSource<{ key: string; ts: number }>({ ...options, format: 'jsonl', timestampField: 'ts' }),
    )
    .keyBy((r) => r.key)
    .window(tumbling(1000))
    .aggregate(
      { createAccumulator: () => 0, add: (n: number) => n + 1, getResult: (n: number) => n },
      { uid: 'counts' },
    )
    .sinkTo(logSink());
});
