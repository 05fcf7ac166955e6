import { MeterWindow } from './meter-window.ts';
import { ratesBetween, type TaskSample } from './task-metrics.ts';

const sample = (o: Partial<TaskSample> = {}): TaskSample => ({
  stage: 1,
  recordsIn: 0,
  recordsOut: 0,
  busyMs: 0,
  backPressuredMs: 0,
  lastAlignmentMs: -1,
  lastAlignedCheckpoint: -1,
  checkpointedStateBytes: 0,
  stateKeys: 0,
  ...o,
});

describe('ratesBetween', () => {
  it('divides counter differences by the seconds between the samples', () => {
    const a = sample({ recordsIn: 1000, recordsOut: 500, busyMs: 100, backPressuredMs: 10 });
    const b = sample({ recordsIn: 5000, recordsOut: 2500, busyMs: 900, backPressuredMs: 410 });
    expect(ratesBetween(a, 1000, b, 3000)).toEqual({
      recordsInPerSecond: 2000,
      recordsOutPerSecond: 1000,
      busyTimeMsPerSecond: 400,
      backPressuredTimeMsPerSecond: 200,
    });
  });

  it('clamps times per second to [0, 1000] and gives zeros for an empty interval', () => {
    const a = sample();
    const b = sample({ busyMs: 3000, recordsIn: 7 });
    expect(ratesBetween(a, 0, b, 1000).busyTimeMsPerSecond).toBe(1000);
    expect(ratesBetween(a, 5, b, 5)).toEqual({
      recordsInPerSecond: 0,
      recordsOutPerSecond: 0,
      busyTimeMsPerSecond: 0,
      backPressuredTimeMsPerSecond: 0,
    });
  });
});

describe('MeterWindow', () => {
  it('rates the newest reading against the oldest kept snapshot', () => {
    const w = new MeterWindow(3);
    for (let i = 0; i < 5; i++) w.add({ atMs: i * 1000, tasks: [sample({ recordsIn: i * 100 })] });
    // Kept: t = 2 s, 3 s, 4 s; now t = 6 s with 1000 records → (1000 − 200) / 4 s.
    const r = w.rates(1, { atMs: 6000, tasks: [sample({ recordsIn: 1000 })] });
    expect(r.recordsInPerSecond).toBe(200);
  });

  it('gives zero rates before the first snapshot and for an unknown stage', () => {
    const w = new MeterWindow();
    const now = { atMs: 10, tasks: [sample({ recordsIn: 5 })] };
    expect(w.rates(1, now).recordsInPerSecond).toBe(0);
    w.add({ atMs: 0, tasks: [sample()] });
    expect(w.rates(2, now).recordsInPerSecond).toBe(0);
    expect(() => new MeterWindow(1)).toThrow(RangeError);
  });

  it('starts from the oldest snapshot that has the task (tasks start after sampling does)', () => {
    const w = new MeterWindow();
    w.add({ atMs: 0, tasks: [] });
    w.add({ atMs: 1000, tasks: [sample({ recordsIn: 100 })] });
    expect(w.rates(1, { atMs: 3000, tasks: [sample({ recordsIn: 500 })] }).recordsInPerSecond).toBe(200);
  });
});
