/**
 * Event-time window assignment. A window is the half-open interval [start, end) in ms since
 * the epoch; it fires once the watermark reaches `end − 1` (its max timestamp), as in Flink.
 *
 * Start of the window containing `ts` for size `s` and offset `o` is
 * `ts − ((ts − o) mod s)` with a non-negative modulo (Flink's TimeWindow.getWindowStartWithOffset).
 */

/** A time window [start, end), in ms. */
export interface TimeWindow {
  start: number;
  end: number;
}

/** How records are assigned to windows. */
export type WindowSpec =
  | { kind: 'tumbling'; sizeMs: number; offsetMs?: number }
  | { kind: 'sliding'; sizeMs: number; slideMs: number; offsetMs?: number };

/** Tumbling windows of `sizeMs` (optionally shifted by `offsetMs`). */
export function tumbling(sizeMs: number, offsetMs = 0): WindowSpec {
  checkPositive('window size', sizeMs);
  return { kind: 'tumbling', sizeMs, offsetMs };
}

/** Sliding windows of `sizeMs` every `slideMs`; each record belongs to ⌈size / slide⌉ windows. */
export function sliding(sizeMs: number, slideMs: number, offsetMs = 0): WindowSpec {
  checkPositive('window size', sizeMs);
  checkPositive('window slide', slideMs);
  return { kind: 'sliding', sizeMs, slideMs, offsetMs };
}

/**
 * Start of the window of length `sizeMs` containing `ts`.
 * @param ts event time in ms (may be negative)
 */
export function windowStart(ts: number, sizeMs: number, offsetMs = 0): number {
  const rem = (((ts - offsetMs) % sizeMs) + sizeMs) % sizeMs;
  return ts - rem;
}

/**
 * The windows a record with event time `ts` belongs to, oldest first.
 * @throws RangeError when `ts` is not a finite number (records without event time cannot be windowed).
 */
export function assignWindows(spec: WindowSpec, ts: number): TimeWindow[] {
  if (!Number.isFinite(ts)) throw new RangeError(`cannot assign event time ${ts} to a window`);
  if (spec.kind === 'tumbling') {
    const start = windowStart(ts, spec.sizeMs, spec.offsetMs ?? 0);
    return [{ start, end: start + spec.sizeMs }];
  }
  const out: TimeWindow[] = [];
  const last = windowStart(ts, spec.slideMs, spec.offsetMs ?? 0);
  for (let start = last; start > ts - spec.sizeMs; start -= spec.slideMs) {
    out.push({ start, end: start + spec.sizeMs });
  }
  return out.reverse();
}

/** The largest timestamp inside `w` (end − 1): the window fires when the watermark reaches it. */
export function maxTimestamp(w: TimeWindow): number {
  return w.end - 1;
}

function checkPositive(what: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0)
    throw new RangeError(`${what} must be a positive number of ms, got ${v}`);
}
