/**
 * The internal operator contract of a chain: operators of one stage run back to back in the
 * same task, each handing records to the next through an Emit function (no queues, no copies).
 */
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts';

/** Passes a record to the next operator: its value and event time (ms or NO_TIMESTAMP). */
export type Emit = (value: unknown, timestamp: number) => void;

/** One operator in a chain. */
export interface ChainOperator {
  /** Processes one record, emitting zero or more records to `out`. */
  process(value: unknown, timestamp: number, out: Emit): void;
  /** The task's watermark advanced to `watermark` (ms); event-time operators fire here. */
  onWatermark?(watermark: number, out: Emit): void;
}

/** What a keyed operator gets from its task: the state backend (whose current key is the record's) and the watermark. */
export interface KeyedRuntime {
  backend: KeyedStateBackend;
  /** Current watermark of the task, ms. */
  watermark(): number;
}
