/**
 * Sluice side of the Kafka benchmark (docs/benchmarks.md "Kafka in and out"): Kafka source
 * (JSON bids, partitions assigned by the source, no consumer group) → Nexmark Q1 map
 * (records.ts `q1`) → Kafka sink, exactly once. No built-in job reads JSON bids from Kafka (only
 * `wordcount` takes `input.kafka`, and it is keyed), so this module plays the part Flink's
 * KafkaPipelineBench plays on the other side, with the public job API.
 *
 * Config: { "bootstrap": "host:port", "input": "topic", "output": "topic",
 *           "bounded": true (stop at the end offsets as of the start) | false,
 *           "transactionalIdPrefix": "..." }
 */
import { defineJob, kafkaSink, kafkaSource } from '../../runtime-image/src/api/index.ts';
import { q1, type BidRecord, type Q1Record } from './records.ts';

/** Config of the job. */
export interface Q1JobConfig {
  bootstrap: string;
  input: string;
  output: string;
  bounded: boolean;
  transactionalIdPrefix: string;
}

export default defineJob((env, ctx) => {
  const c = ctx.config as unknown as Q1JobConfig;
  env
    .fromSource(
      kafkaSource<BidRecord>({
        bootstrapServers: [c.bootstrap],
        topics: [c.input],
        format: 'jsonl',
        startingOffsets: 'earliest',
        isolation: 'read_committed',
        partitionDiscoveryIntervalMs: 0,
        ...(c.bounded ? { bounded: 'latest' as const } : {}),
      }),
    )
    .map(q1, { name: 'q1-to-euro' })
    .sinkTo(
      kafkaSink<Q1Record>({
        bootstrapServers: [c.bootstrap],
        topic: c.output,
        format: 'jsonl',
        delivery: 'exactly-once',
        transactionalIdPrefix: c.transactionalIdPrefix,
      }),
    );
});
