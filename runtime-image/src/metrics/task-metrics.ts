/**
 * Per-task counters behind the `/metrics` endpoint (docs/runtime.md "Metrics"). A task (the
 * source task or a keyed stage task) bumps plain number fields once per batch — never per
 * record — so the accounting costs two `performance.now()` calls per batch of up to 512 records
 * and allocates nothing.
 *
 * Busy time is the task's synchronous work only (polling the source, running the chain,
 * capturing state at alignment); back-pressured time is wall time spent waiting for a full
 * output (downstream credits or the sink); the rest is idle. Because all tasks of a worker share
 * one event loop, busy times of several tasks add up to at most 1000 ms per second of the thread.
 */

/** Mutable counters of one task; totals since the worker started. */
export class TaskMetrics {
  /** Stage index (0 = source stage). */
  readonly stage: number;
  /** Records that entered the task (source: records read; stage: records from the shuffle). */
  recordsIn = 0;
  /** Milliseconds of synchronous work. */
  busyMs = 0;
  /** Milliseconds spent waiting for output capacity (Flink's back-pressured time). */
  backPressuredMs = 0;
  /** Duration of the last completed barrier alignment, ms (first barrier → aligned); -1 before the first. */
  lastAlignmentMs = -1;
  /** Checkpoint id of `lastAlignmentMs`; -1 before the first. */
  lastAlignedCheckpoint = -1;
  /** Keyed state captured at the last alignment: encoded (msgpack, uncompressed) bytes; 0 before. */
  checkpointedStateBytes = 0;

  constructor(stage: number) {
    this.stage = stage;
  }
}

/** A reading of one task's counters at one instant (what rates are computed from). */
export interface TaskSample {
  stage: number;
  /** Totals since start. */
  recordsIn: number;
  recordsOut: number;
  busyMs: number;
  backPressuredMs: number;
  /** Gauges. */
  lastAlignmentMs: number;
  lastAlignedCheckpoint: number;
  checkpointedStateBytes: number;
  /** Keys in the stage's keyed state now (a key in two state tables counts twice); 0 for the source stage. */
  stateKeys: number;
}

/** Per-second rates of one task between two samples. */
export interface TaskRates {
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** In [0, 1000]. */
  busyTimeMsPerSecond: number;
  /** In [0, 1000]. */
  backPressuredTimeMsPerSecond: number;
}

const clampMs = (v: number) => Math.min(1000, Math.max(0, v));

/**
 * Rates of a task between samples `a` (taken at `aMs`) and `b` (at `bMs`), ms of any monotonic
 * clock. Zero rates when the interval is empty. Times per second are clamped to [0, 1000]: a
 * batch that started before `a` and ended after it counts wholly in the later interval.
 */
export function ratesBetween(a: TaskSample, aMs: number, b: TaskSample, bMs: number): TaskRates {
  const seconds = (bMs - aMs) / 1000;
  if (!(seconds > 0)) {
    return {
      recordsInPerSecond: 0,
      recordsOutPerSecond: 0,
      busyTimeMsPerSecond: 0,
      backPressuredTimeMsPerSecond: 0,
    };
  }
  return {
    recordsInPerSecond: (b.recordsIn - a.recordsIn) / seconds,
    recordsOutPerSecond: (b.recordsOut - a.recordsOut) / seconds,
    busyTimeMsPerSecond: clampMs((b.busyMs - a.busyMs) / seconds),
    backPressuredTimeMsPerSecond: clampMs((b.backPressuredMs - a.backPressuredMs) / seconds),
  };
}
