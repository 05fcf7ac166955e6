import { LatencyHistogram, median, steadyRate, type CountSample } from './stats.ts';

describe('steadyRate', () => {
  // Two workers at 100 and 300 events/s after a 1 s start-up, sampled every 100 ms.
  const samples: CountSample[] = [];
  for (let t = 0; t <= 6000; t += 100) {
    const s = Math.max(0, t - 1000) / 1000;
    samples.push({ t, perWorker: [Math.round(100 * s), Math.round(300 * s)] });
  }

  it('measures between 10 % and 90 % of the total, excluding the start-up', () => {
    const r = steadyRate(samples, 2000);
    expect(r.from.perWorker[0]! + r.from.perWorker[1]!).toBeGreaterThanOrEqual(200);
    expect(r.to.perWorker[0]! + r.to.perWorker[1]!).toBeLessThanOrEqual(1800);
    expect(r.eventsPerSecond).toBeCloseTo(400, 6);
    expect(r.perWorker[0]).toBeCloseTo(100, 6);
    expect(r.perWorker[1]).toBeCloseTo(300, 6);
    expect(r.seconds).toBeCloseTo(4, 6);
  });

  it('derives the CPU cores used and events per CPU-second when samples carry CPU time', () => {
    const r = steadyRate(
      [
        { t: 0, perWorker: [0, 0], cpuMs: [0, 0] },
        { t: 1000, perWorker: [100, 100], cpuMs: [500, 700] },
        { t: 3000, perWorker: [300, 300], cpuMs: [1500, 1700] },
        { t: 4000, perWorker: [500, 500], cpuMs: [2000, 2200] },
      ],
      1000,
    );
    expect(r.seconds).toBe(2);
    expect(r.cpuCores).toBeCloseTo(1, 9); // 2000 ms of CPU in 2 s
    expect(r.eventsPerCpuSecond).toBeCloseTo(200, 9);
    expect(steadyRate(samples, 2000).cpuCores).toBeUndefined();
  });

  it('falls back to the last sample when nothing lies below the upper bound after the start', () => {
    const r = steadyRate(
      [
        { t: 0, perWorker: [0] },
        { t: 1000, perWorker: [50] },
        { t: 2000, perWorker: [100] },
      ],
      100,
      0.5,
      0.4,
    );
    expect(r.eventsPerSecond).toBeCloseTo(50, 6);
  });

  it('refuses a window without duration', () => {
    expect(() => steadyRate([{ t: 0, perWorker: [100] }], 100)).toThrow(RangeError);
    expect(() => steadyRate([{ t: 0, perWorker: [1] }], 100)).toThrow(/10 %/);
  });
});

describe('median', () => {
  it('takes the middle value or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('LatencyHistogram', () => {
  it('gives quantiles within 2 % and exact min/max', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 100); // 0.01 .. 100 ms, uniform
    expect(h.count).toBe(10_000);
    expect(h.minMs).toBe(0.01);
    expect(h.maxMs).toBe(100);
    for (const [q, exact] of [
      [0.5, 50],
      [0.99, 99],
      [0.999, 99.9],
    ] as const) {
      const v = h.quantile(q);
      expect(v).toBeGreaterThanOrEqual(exact);
      expect(v).toBeLessThanOrEqual(exact * 1.02);
    }
    expect(h.quantile(0)).toBe(0.01);
    expect(h.quantile(1)).toBe(100);
    expect(h.mean()).toBeCloseTo(50.005, 6);
  });

  it('counts negative values (clock skew) as 0 and clamps huge ones into the last bucket', () => {
    const h = new LatencyHistogram();
    h.record(-3);
    h.record(1e12);
    expect(h.minMs).toBe(0);
    expect(h.quantile(0)).toBe(0);
    expect(h.quantile(0.5)).toBeLessThanOrEqual(LatencyHistogram.MIN_MS);
    expect(h.quantile(1)).toBe(1e12);
    expect(LatencyHistogram.bucketOf(1e12)).toBe(LatencyHistogram.BUCKETS - 1);
  });

  it('survives JSON and merges', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 100; i++) a.record(1);
    for (let i = 0; i < 100; i++) b.record(10);
    const back = LatencyHistogram.fromJSON(
      JSON.parse(JSON.stringify(b.toJSON())) as ReturnType<LatencyHistogram['toJSON']>,
    );
    a.merge(back);
    expect(a.count).toBe(200);
    expect(a.quantile(0.5)).toBeCloseTo(1, 1);
    expect(a.quantile(0.51)).toBeCloseTo(10, 0);
    expect(a.maxMs).toBe(10);
    expect(LatencyHistogram.fromJSON(new LatencyHistogram().toJSON()).count).toBe(0);
    expect(() => new LatencyHistogram().quantile(0.5)).toThrow(RangeError);
    expect(() =>
      LatencyHistogram.fromJSON({ buckets: [[-1, 1]], count: 1, minMs: 1, maxMs: 1, sumMs: 1 }),
    ).toThrow(/out of range/);
  });
});
