/**
 * Benchmark job: `records` generated records over `keys` distinct keys (`k<n mod keys>`),
 * shuffled by key to a keyed count in value state. Emits nothing, so it measures
 * source → shuffle → keyed state, and its state is exactly `keys` entries once every key was seen.
 *
 * After its `records` the source stays open and idle instead of ending, so the job never
 * finishes (a bounded job ends at its first checkpoint after the input) and can be checkpointed
 * any number of times.
 *
 * Config: { "records": n, "keys": n, "partitions"?: 8 }
 */
import {
  defineJob,
  generatorSource,
  discardSink,
  type Source,
  type ValueState,
} from '../../runtime-image/src/api/index.ts';

/** `source`, except that its end is reported as idle forever. */
export function neverEnding<T>(source: Source<T>): Source<T> {
  return {
    kind: source.kind,
    async open(ctx, restored) {
      const reader = await source.open(ctx, restored);
      return {
        ...reader,
        poll: async (max) => {
          const r = await reader.poll(max);
          return r === 'end' ? 'idle' : r;
        },
      };
    },
  };
}

export default defineJob((env, ctx) => {
  const c = ctx.config as { records: number; keys: number; partitions?: number };
  let count: ValueState<number>;
  env
    .fromSource(
      neverEnding(
        generatorSource<string>({
          count: c.records,
          partitions: c.partitions ?? 8,
          generate: (n) => ({ value: `k${n % c.keys}` }),
        }),
      ),
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
    .sinkTo(discardSink());
});
