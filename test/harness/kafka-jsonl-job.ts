/**
 * A job module for the kafka-* integration tests (SLUICE_JOB_ENTRY = this path): reads JSON
 * records with `kafkaSource` (spec.job.config.kafka = its options without `format`) and logs
 * them (`logSink`), so a record that does not parse fails the worker.
 */
import {
  defineJob,
  kafkaSource,
  logSink,
  type KafkaSourceOptions,
} from '../../runtime-image/src/api/index.ts';

export default defineJob((env, ctx) => {
  const options = (ctx.config as { kafka: Omit<KafkaSourceOptions, 'format'> }).kafka;
  env.fromSource(kafkaSource({ ...options, format: 'jsonl' })).sinkTo(logSink());
});
