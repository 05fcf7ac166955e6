/**
 * Benchmark job: `records` generated records over `keys` distinct keys (`k<n mod keys>`),
 * shuffled by key to a keyed count in value state. Emits nothing, so it measures
 * source → shuffle → keyed state, and its state is exactly `keys` entries once every key was seen.
 *
 * Config: { "records": n, "keys": n, "partitions"?: 8 }
 */
import { defineJob, generatorSource, logSink, type ValueState } from '../../runtime-image/src/api/index.ts';

export default defineJob((env, ctx) => {
  const c = ctx.config as { records: number; keys: number; partitions?: number };
  let count: ValueState<number>;
  env
    .fromSource(
      generatorSource<string>({
        count: c.records,
        partitions: c.partitions ?? 8,
        generate: (n) => ({ value: `k${n % c.keys}` }),
      }),
    )
    .keyBy((k) => k)
    .process<never>(
      {
        open: (s) => {
          count = s.valueState<number>('count');
        },
        processElement: () => {
          count.update((count.value() ?? 0) + 1);
        },
      },
      { uid: 'count' },
    )
    .sinkTo(logSink());
});
