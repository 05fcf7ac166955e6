/**
 * A sliding window of timestamped task samples, from which per-second rates are computed the
 * way Flink's MeterView does: the difference between the newest sample and the oldest one kept,
 * divided by the time between them. The worker adds a sample every second; with the default
 * window of 5 samples a rate covers the last 4–5 s.
 */
import { ratesBetween, type TaskRates, type TaskSample } from './task-metrics.ts';

/** Samples of all tasks of a worker taken at one instant. */
export interface Snapshot {
  /** ms, monotonic clock. */
  atMs: number;
  tasks: TaskSample[];
}

export class MeterWindow {
  private readonly size: number;
  private readonly snapshots: Snapshot[] = [];

  /** @param size samples kept, ≥ 2 */
  constructor(size = 5) {
    if (!Number.isInteger(size) || size < 2)
      throw new RangeError(`window size must be an integer ≥ 2, got ${size}`);
    this.size = size;
  }

  /** Adds a snapshot (newest last); drops the oldest beyond the window. */
  add(s: Snapshot): void {
    this.snapshots.push(s);
    if (this.snapshots.length > this.size) this.snapshots.shift();
  }

  /**
   * Rates of the task of stage `stage` between the oldest kept snapshot that has it and `now`
   * (a snapshot taken at scrape time, not added). Zero rates before such a snapshot exists
   * (the tasks are created after sampling starts).
   */
  rates(stage: number, now: Snapshot): TaskRates {
    const b = now.tasks.find((t) => t.stage === stage);
    for (const s of this.snapshots) {
      const a = s.tasks.find((t) => t.stage === stage);
      if (a && b) return ratesBetween(a, s.atMs, b, now.atMs);
    }
    return ratesBetween(emptySample(stage), 0, emptySample(stage), 0);
  }
}

function emptySample(stage: number): TaskSample {
  return {
    stage,
    recordsIn: 0,
    recordsOut: 0,
    busyMs: 0,
    backPressuredMs: 0,
    lastAlignmentMs: -1,
    lastAlignedCheckpoint: -1,
    checkpointedStateBytes: 0,
    stateKeys: 0,
  };
}
