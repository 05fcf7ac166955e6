/**
 * Event-time window aggregation per key (Flink's WindowOperator with an AggregateFunction and
 * the event-time trigger): each record is added to the accumulator of every window it belongs
 * to; when the watermark reaches a window's max timestamp (end − 1) the window fires, emitting
 * a WindowResult with timestamp end − 1, and its state is dropped.
 *
 * State: map state `windows` of `uid`: window start (ms) → accumulator. An in-memory index
 * window end → keys is rebuilt from it after a restore, so no timers are stored.
 * Records whose windows all already fired (late records) are dropped and counted.
 */
import type { AggregateFunction, WindowResult } from '../api/types.ts';
import { assignWindows, type WindowSpec } from '../core/windows.ts';
import type { ChainOperator, KeyedRuntime } from './operator.ts';

/** Counters of a window operator. */
export interface WindowStats {
  lateRecords: number;
  firedWindows: number;
}

export function windowOperator(
  uid: string,
  spec: WindowSpec,
  agg: AggregateFunction<unknown, unknown, unknown>,
  rt: KeyedRuntime,
  stats: WindowStats = { lateRecords: 0, firedWindows: 0 },
): ChainOperator {
  const state = rt.backend.mapState<number, unknown>(uid, 'windows');
  /** window end → (key → key group) */
  const pending = new Map<number, Map<string, number>>();
  let restored = false;
  let watermark = -Infinity;

  const index = (end: number, key: string, kg: number) => {
    let keys = pending.get(end);
    if (!keys) pending.set(end, (keys = new Map()));
    keys.set(key, kg);
  };
  const rebuildIndex = () => {
    restored = true;
    rt.backend.forEachEntry(uid, 'windows', (kg, key, value) => {
      for (const start of (value as Map<number, unknown>).keys()) index(start + spec.sizeMs, key, kg);
    });
  };

  return {
    process(value, ts) {
      if (!restored) rebuildIndex();
      const key = rt.backend.currentKey;
      const kg = rt.backend.currentKeyGroup;
      let added = false;
      for (const w of assignWindows(spec, ts)) {
        if (w.end - 1 <= watermark) continue;
        const prev = state.get(w.start);
        state.put(w.start, agg.add(prev === undefined ? agg.createAccumulator() : prev, value));
        // A window with an accumulator is indexed already: its entry is dropped only when it
        // fires, together with the accumulator, and a restore indexes every stored window.
        if (prev === undefined) index(w.end, key, kg);
        added = true;
      }
      if (!added) stats.lateRecords++;
    },
    onWatermark(wm, out) {
      if (!restored) rebuildIndex();
      watermark = wm;
      const due = [...pending.keys()].filter((end) => end - 1 <= wm).sort((a, b) => a - b);
      for (const end of due) {
        const keys = pending.get(end)!;
        pending.delete(end);
        const start = end - spec.sizeMs;
        for (const [key, kg] of keys) {
          rt.backend.setCurrentKey(key, kg);
          const acc = state.get(start);
          if (acc === undefined) continue;
          state.remove(start);
          const result: WindowResult<unknown> = { key, window: { start, end }, value: agg.getResult(acc) };
          stats.firedWindows++;
          out(result, end - 1);
        }
      }
    },
  };
}
