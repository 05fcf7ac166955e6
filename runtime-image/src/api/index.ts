/**
 * The Sluice job API. A job module (SLUICE_JOB_ENTRY = a path inside the image) imports from
 * here and default-exports a job definition:
 *
 *   import { defineJob, s3Source, s3Sink } from '/app/runtime-image/src/api/index.ts';
 *   export default defineJob((env, ctx) => {
 *     env.fromSource(s3Source<string>({ prefix: 'in/', format: 'text' }))
 *       .flatMap((line) => line.split(' '))
 *       .keyBy((w) => w)
 *       .aggregate({ createAccumulator: () => 0, add: (n) => n + 1, getResult: (n) => n })
 *       .sinkTo(s3Sink({ prefix: 'out/' }));
 *   });
 */
export * from './types.ts';
export {
  defineJob,
  StreamEnvironment,
  DataStream,
  KeyedStream,
  WindowedStream,
  type JobDefinition,
} from './stream.ts';
export { tumbling, sliding, type TimeWindow, type WindowSpec } from '../core/windows.ts';
export { generatorSource, type GeneratorOptions } from '../sources/generator-source.ts';
export { s3Source, type S3SourceOptions } from '../sources/s3-source.ts';
export { kafkaSource, type KafkaSourceOptions } from '../sources/kafka-source.ts';
export { s3Sink, type S3SinkOptions } from '../sinks/two-phase-sink.ts';
export { logSink } from '../sinks/log-sink.ts';
export { discardSink } from '../sinks/discard-sink.ts';
export { kafkaSink, type KafkaSinkOptions } from '../sinks/kafka-sink.ts';
export { nexmarkSource, type NexmarkSourceOptions } from '../nexmark/source.ts';
export type { NexmarkEvent, Bid, Auction, Person } from '../nexmark/model.ts';
