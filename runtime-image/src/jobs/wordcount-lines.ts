/**
 * Built-in job `wordcount-lines`: copies lines, unchanged, from the input to the output — a
 * loader that fills a Kafka topic with the synthetic wordcount corpus for a `wordcount` job
 * reading that topic (examples/kafka-wordcount-load.yaml, docs/connectors.md "Kafka on kind").
 *
 * Config (spec.job.config):
 *   input:  the forms of `wordcount` (s3 text objects, `generator` — a bounded one ends the job
 *           after its last line —, or kafka text records)
 *   output: see io-config.ts; for a topic a `wordcount` job reads, use
 *           `{kafka: {..., format: "text"}}` (with "jsonl" every line arrives JSON-quoted)
 */
import { defineJob } from '../api/stream.ts';
import { obj, sinkFromConfig } from './io-config.ts';
import { lineSourceFromConfig } from './wordcount.ts';

export default defineJob((env, ctx) => {
  const config = obj(ctx.config, 'config');
  env.fromSource(lineSourceFromConfig(config.input)).sinkTo(sinkFromConfig<string>(config.output));
});
