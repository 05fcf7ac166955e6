/**
 * Benchmark job for end-to-end latency: the pipeline of the built-in `wordcount` (same
 * synthetic corpus `syntheticLine`, same tokenizer `words`, keyBy word, per-word count in value
 * state, `{word, count}` to the sink) fed at a fixed rate, where every line carries the wall-clock
 * time at which the source generated it as its event time. The count operator — the last
 * operator before the sink — records `now − stamp` per word into a LatencyHistogram.
 *
 * Each worker records from `warmupMs` after its first record for `measureMs`, then writes
 * `<outDir>/latency-<subtask>.json` (HistogramData plus the record count) once.
 *
 * Config: { "rate": lines/s (all workers), "outDir": "...", "warmupMs": 5000, "measureMs": 20000,
 *           "partitions"?: 4, "vocabulary"?: 1000, "wordsPerLine"?: 8, "seed"?: 1 }
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defineJob,
  discardSink,
  generatorSource,
  type ValueState,
} from '../../runtime-image/src/api/index.ts';
import { syntheticLine, words } from '../../runtime-image/src/jobs/wordcount.ts';
import { LatencyHistogram } from './stats.ts';

/** Config of the latency job. */
export interface LatencyJobConfig {
  rate: number;
  outDir: string;
  warmupMs?: number;
  measureMs?: number;
  partitions?: number;
  vocabulary?: number;
  wordsPerLine?: number;
  seed?: number;
}

/** What a worker writes: its histogram of latencies (ms) over the measured interval. */
export interface LatencyFile {
  subtask: number;
  /** Wall time of the measured interval, ms since the epoch. */
  fromMs: number;
  toMs: number;
  histogram: ReturnType<LatencyHistogram['toJSON']>;
}

/** Wall clock with sub-millisecond resolution, ms since the epoch (comparable across processes). */
const wallMs = (): number => performance.timeOrigin + performance.now();

export default defineJob((env, ctx) => {
  const c = ctx.config as unknown as LatencyJobConfig;
  const warmupMs = c.warmupMs ?? 5000;
  const measureMs = c.measureMs ?? 20_000;
  const seed = c.seed ?? 1;
  const vocabulary = c.vocabulary ?? 1000;
  const wordsPerLine = c.wordsPerLine ?? 8;
  const hist = new LatencyHistogram();
  let from = 0;
  let to = 0;
  let written = false;
  let count: ValueState<number>;
  env
    .fromSource(
      generatorSource<string>({
        count: Infinity,
        partitions: c.partitions ?? 4,
        rate: c.rate,
        generate: (n) => ({ value: syntheticLine(seed, n, vocabulary, wordsPerLine), timestamp: wallMs() }),
      }),
    )
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
          const now = wallMs();
          if (from === 0) {
            from = now + warmupMs;
            to = from + measureMs;
          }
          if (now >= from && now < to) hist.record(now - out.timestamp);
          else if (now >= to && !written) {
            written = true;
            const file: LatencyFile = {
              subtask: ctx.subtask,
              fromMs: from,
              toMs: to,
              histogram: hist.toJSON(),
            };
            writeFileSync(join(c.outDir, `latency-${ctx.subtask}.json`), JSON.stringify(file));
          }
          out.emit({ word: out.key, count: n });
        },
      },
      { uid: 'count', name: 'count' },
    )
    .sinkTo(discardSink());
});
