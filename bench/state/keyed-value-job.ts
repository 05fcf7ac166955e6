/**
 * Benchmark job of the state-backend benchmark (bench/state/run.ts): one value per key, and a
 * source the benchmark driver releases in steps, so that checkpoints can be taken between them.
 *
 * Record n (0-based) carries key `k<i>`:
 *   - n < keys: i = n — the load phase writes every key once;
 *   - n ≥ keys: i = ((n − keys) · s) mod keys with s = strideFor(keys), the integer nearest to
 *     keys · 0.618… that is coprime to keys: the update phase revisits keys spread over the whole
 *     key space (a golden-ratio stride), and `keys` consecutive updates touch `keys` distinct keys.
 * The keyed function keeps per key `{ n, updates }` (the worker's record count when the key was
 * last written and how often it was seen) in value state and emits nothing (discard sink).
 *
 * Gate: the source emits record n only while n < the number in `gateFile` (a decimal integer the
 * driver rewrites; read at most every 20 ms); otherwise it is idle. It never ends, so the job can
 * be checkpointed any number of times. One split, read by subtask 0.
 *
 * Config: { "keys": n, "gateFile": "/abs/path" }
 */
import { readFileSync } from 'node:fs';
import {
  defineJob,
  discardSink,
  type Source,
  type SourceReader,
  type SourceRecord,
  type ValueState,
} from '../../runtime-image/src/api/index.ts';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The update phase's multiplier for `keys` keys (module comment): coprime to `keys`, ≈ 0.618 · keys. */
export function strideFor(keys: number): number {
  let s = Math.max(1, Math.round(keys * 0.6180339887));
  while (gcd(s, keys) !== 1) s++;
  return s;
}

/**
 * The key index of record `n` of a job over `keys` keys (module comment); exact while
 * (n − keys) · keys < 2^53, i.e. for the benchmark's sizes (≤ 10^8 keys, updates ≤ 10^7).
 */
export function keyIndex(n: number, keys: number, stride = strideFor(keys)): number {
  return n < keys ? n : ((n - keys) * stride) % keys;
}

/** Reads the gate file: the number of records the source may have emitted; 0 when unreadable. */
function readGate(file: string): number {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

/** The gated source (module comment). */
function gatedSource(keys: number, gateFile: string): Source<string> {
  return {
    kind: 'gated-generator',
    open(ctx, restored) {
      const mine = ctx.subtask === 0;
      const stride = strideFor(keys);
      let next = Number((restored ?? []).find((s) => s.id === 'gate')?.next ?? 0);
      let limit = 0;
      let readAt = -Infinity;
      const reader: SourceReader<string> = {
        async poll(max) {
          if (!mine) return 'idle';
          if (next >= limit && performance.now() - readAt >= 20) {
            limit = readGate(gateFile);
            readAt = performance.now();
          }
          if (next >= limit) return 'idle';
          const end = Math.min(limit, next + max);
          const out: SourceRecord<string>[] = [];
          for (; next < end; next++) out.push({ value: `k${keyIndex(next, keys, stride)}` });
          return out;
        },
        watermark: () => -Infinity,
        snapshot: () => (mine ? [{ id: 'gate', next }] : []),
        splitCount: () => (mine ? 1 : 0),
        close: async () => undefined,
      };
      return Promise.resolve(reader);
    },
  };
}

export default defineJob((env, ctx) => {
  const c = ctx.config as { keys: number; gateFile: string };
  let value: ValueState<{ n: number; updates: number }>;
  let n = 0;
  env
    .fromSource(gatedSource(c.keys, c.gateFile))
    .keyBy((k) => k)
    .process<never>(
      {
        open: (s) => {
          value = s.valueState<{ n: number; updates: number }>('value');
        },
        processElement: () => {
          value.update({ n: n++, updates: (value.value()?.updates ?? 0) + 1 });
        },
      },
      { uid: 'value' },
    )
    .sinkTo(discardSink());
});
