/**
 * Built-in job `wordcount`: counts words, emitting `{word, count}` with the new count after
 * every occurrence (a changelog whose last entry per word is the total).
 *
 * Words: the line lowercased, split at every character that is not a Unicode letter or digit,
 * empty pieces dropped.
 *
 * Config (spec.job.config):
 *   input:  { "s3": { "prefix": "corpus/", "bucket"?, "rate"? (lines/s per worker) } }
 *         | { "generator": { "lines": n, "partitions"?: 4, "rate"?: lines/s, "vocabulary"?: 1000,
 *                             "wordsPerLine"?: 8, "seed"?: 1 } }
 *         | { "kafka": { "bootstrapServers": [...], "topics": [...], "startingOffsets"?, "bounded"?,
 *                         "isolation"?, "groupId"?, "deadLetterTopic"?, ... } }
 *             (text records; every kafkaSource option but `format`; docs/connectors.md "Source")
 *   output: see io-config.ts
 */
import { defineJob } from '../api/stream.ts';
import type { JsonValue, Source, ValueState } from '../api/types.ts';
import { randomFor } from '../core/prng.ts';
import { generatorSource } from '../sources/generator-source.ts';
import { kafkaSource, type KafkaSourceOptions } from '../sources/kafka-source.ts';
import { s3Source } from '../sources/s3-source.ts';
import { JobConfigError, num, obj, sinkFromConfig, str } from './io-config.ts';

/** A code point of Unicode category L (letter) or N (number); tested on non-ASCII characters only. */
const WORD_CHAR = /^[\p{L}\p{N}]$/u;

/**
 * The tokenizer of `wordcount`: the maximal runs of letters and numbers (Unicode categories L
 * and N, by code point) of the lower-cased line, in order — the same words as
 * `line.toLowerCase().split(/[^\p{L}\p{N}]+/u)` without its empty strings, and as
 * bench/flink's `SyntheticCorpus.words`, which scans the same way. One pass over the line:
 * ASCII by comparison, other code points by {@link WORD_CHAR} (docs/runtime.md "Profile of
 * wordcount").
 */
export function words(line: string): string[] {
  const s = line.toLowerCase();
  const out: string[] = [];
  let start = -1;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    let width = 1;
    let word: boolean;
    if (c < 0x80) word = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) width = 2;
      word = WORD_CHAR.test(String.fromCodePoint(cp));
    }
    if (word) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push(s.slice(start, i));
      start = -1;
    }
    i += width;
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

/**
 * Line n of the synthetic corpus: `wordsPerLine` words `w<i>` with i skewed towards small
 * values (i = ⌊vocabulary · u²⌋, u uniform), from the counter-based PRNG.
 */
export function syntheticLine(seed: number, n: number, vocabulary: number, wordsPerLine: number): string {
  const r = randomFor(seed, n);
  const out: string[] = [];
  for (let i = 0; i < wordsPerLine; i++) {
    const u = r.next();
    out.push(`w${Math.floor(vocabulary * u * u)}`);
  }
  return out.join(' ');
}

/**
 * The line source described by `input` (the forms in this module's header): s3 text objects,
 * the synthetic corpus of {@link syntheticLine}, or a Kafka topic of text records.
 * @throws JobConfigError when `input` has none of them or a field has the wrong type
 */
export function lineSourceFromConfig(input: JsonValue | undefined): Source<string> {
  const i = obj(input, 'input');
  if (i.s3 !== undefined) {
    const s3 = obj(i.s3, 'input.s3');
    const prefix = str(s3, 'prefix', 'input.s3');
    if (prefix === undefined) throw new JobConfigError('job config input.s3.prefix is required');
    const bucket = str(s3, 'bucket', 'input.s3');
    const rate = num(s3, 'rate', 'input.s3');
    return s3Source<string>({
      prefix,
      format: 'text',
      ...(bucket ? { bucket } : {}),
      ...(rate ? { rate } : {}),
    });
  }
  if (i.generator !== undefined) {
    const g = obj(i.generator, 'input.generator');
    const seed = num(g, 'seed', 'input.generator') ?? 1;
    const vocabulary = num(g, 'vocabulary', 'input.generator') ?? 1000;
    const wordsPerLine = num(g, 'wordsPerLine', 'input.generator') ?? 8;
    const rate = num(g, 'rate', 'input.generator');
    return generatorSource<string>({
      count: num(g, 'lines', 'input.generator') ?? Infinity,
      partitions: num(g, 'partitions', 'input.generator') ?? 4,
      ...(rate ? { rate } : {}),
      generate: (n) => ({ value: syntheticLine(seed, n, vocabulary, wordsPerLine) }),
    });
  }
  if (i.kafka !== undefined) {
    const k = obj(i.kafka, 'input.kafka');
    // kafkaSource validates every field and names the bad one (KafkaSourceConfigError).
    return kafkaSource<string>({ ...(k as unknown as Omit<KafkaSourceOptions, 'format'>), format: 'text' });
  }
  throw new JobConfigError('job config input must have "s3", "generator" or "kafka"');
}

export default defineJob((env, ctx) => {
  const config = obj(ctx.config, 'config');
  let count: ValueState<number>;
  env
    .fromSource(lineSourceFromConfig(config.input))
    .flatMap(words, { name: 'tokenize' })
    .keyBy((w) => w)
    .process<{ word: string; count: number }>(
      {
        open: (state) => {
          count = state.valueState<number>('count');
        },
        processElement: (_word, out) => {
          const n = (count.value() ?? 0) + 1;
          count.update(n);
          out.emit({ word: out.key, count: n });
        },
      },
      { uid: 'count', name: 'count' },
    )
    .sinkTo(sinkFromConfig(config.output));
});
