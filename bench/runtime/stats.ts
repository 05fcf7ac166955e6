/**
 * Pure statistics of the runtime benchmark: the steady-state rate of sampled counters, and a
 * log-bucketed latency histogram that worker processes fill and the benchmark merges.
 */

/** Counters of every worker at one moment. */
export interface CountSample {
  /** Wall time of the sample, ms (any monotonic origin, e.g. performance.now()). */
  t: number;
  /** Counter value of each worker (records, lines or events). */
  perWorker: number[];
  /**
   * CPU time (user + system) used so far by each counted process tree, ms, when known:
   * lib.ts counts the benchmark driver and each worker's process tree.
   */
  cpuMs?: number[];
}

/** Rate between two samples of a run. */
export interface SteadyRate {
  from: CountSample;
  to: CountSample;
  /** Time between the two samples, s. */
  seconds: number;
  /** Summed over all workers, events/s. */
  eventsPerSecond: number;
  /** Rate of each worker, events/s. */
  perWorker: number[];
  /** CPU used by all counted processes between the two samples ÷ wall time (cores busy), when known. */
  cpuCores?: number;
  /** eventsPerSecond ÷ cpuCores: events per CPU-second, when known. */
  eventsPerCpuSecond?: number;
}

/** Sum of a sample's counters. */
export function sampleTotal(s: CountSample): number {
  return s.perWorker.reduce((a, b) => a + b, 0);
}

/**
 * The rate in steady state: between the first sample at or above `lo`·total and the last sample
 * at or below `hi`·total (so neither process start nor the tail counts).
 * @param samples chronological samples
 * @param total the count the run ends at (events)
 * @throws RangeError when fewer than two usable samples span the window
 */
export function steadyRate(samples: CountSample[], total: number, lo = 0.1, hi = 0.9): SteadyRate {
  const from = samples.find((s) => sampleTotal(s) >= total * lo);
  if (!from) throw new RangeError(`no sample reached ${lo * 100} % of ${total}`);
  let to: CountSample | undefined;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    if (s.t > from.t && sampleTotal(s) <= total * hi) {
      to = s;
      break;
    }
  }
  to ??= samples[samples.length - 1];
  if (!to || to.t <= from.t) throw new RangeError('the steady-state window has no duration');
  const seconds = (to.t - from.t) / 1000;
  const eventsPerSecond = (sampleTotal(to) - sampleTotal(from)) / seconds;
  const r: SteadyRate = {
    from,
    to,
    seconds,
    eventsPerSecond,
    perWorker: to.perWorker.map((n, i) => (n - (from.perWorker[i] ?? 0)) / seconds),
  };
  if (from.cpuMs && to.cpuMs) {
    const cpuMs = to.cpuMs.reduce((a, b, i) => a + b - (from.cpuMs![i] ?? 0), 0);
    r.cpuCores = cpuMs / 1000 / seconds;
    if (r.cpuCores > 0) r.eventsPerCpuSecond = eventsPerSecond / r.cpuCores;
  }
  return r;
}

/** Median of a non-empty list. @throws RangeError on an empty list */
export function median(xs: number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Serialized form of a LatencyHistogram (JSON-safe). */
export interface HistogramData {
  /** [bucket index, samples] of non-empty buckets. */
  buckets: Array<[number, number]>;
  count: number;
  /** Smallest and largest recorded value, ms (null when empty). */
  minMs: number | null;
  maxMs: number | null;
  sumMs: number;
}

/**
 * Latency histogram with logarithmic buckets: bucket i holds values in
 * (MIN_MS·GROWTH^(i−1), MIN_MS·GROWTH^i], so a quantile is exact to within 2 % (values ≤ 1 µs
 * share bucket 0; values above ~2.8e6 ms share the last, open-ended bucket).
 */
export class LatencyHistogram {
  static readonly MIN_MS = 0.001;
  static readonly GROWTH = 1.02;
  static readonly BUCKETS = 1100;
  private readonly counts = new Float64Array(LatencyHistogram.BUCKETS);
  count = 0;
  minMs = Infinity;
  maxMs = -Infinity;
  sumMs = 0;

  /** Bucket index of a value, ms. */
  static bucketOf(ms: number): number {
    if (!(ms > LatencyHistogram.MIN_MS)) return 0;
    const i = Math.ceil(Math.log(ms / LatencyHistogram.MIN_MS) / Math.log(LatencyHistogram.GROWTH) - 1e-9);
    return Math.min(i, LatencyHistogram.BUCKETS - 1);
  }

  /** Upper bound of bucket i, ms. */
  static upperBound(i: number): number {
    return LatencyHistogram.MIN_MS * Math.pow(LatencyHistogram.GROWTH, i);
  }

  /** Records one value, ms (negative values — clock skew — count as 0). */
  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    this.counts[LatencyHistogram.bucketOf(v)]!++;
    this.count++;
    this.sumMs += v;
    if (v < this.minMs) this.minMs = v;
    if (v > this.maxMs) this.maxMs = v;
  }

  /** Adds every sample of `other`. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < LatencyHistogram.BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sumMs += other.sumMs;
    this.minMs = Math.min(this.minMs, other.minMs);
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /**
   * The q-quantile, ms: the upper bound of the bucket holding the ⌈q·count⌉-th smallest sample,
   * clamped to the recorded min and max (q = 0: the min).
   * @param q in [0, 1]
   * @throws RangeError when the histogram is empty or q is out of range
   */
  quantile(q: number): number {
    if (this.count === 0) throw new RangeError('quantile of an empty histogram');
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is not in [0, 1]`);
    if (q === 0) return this.minMs;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < LatencyHistogram.BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen < rank) continue;
      // The last bucket is open-ended: its only known bound is the max.
      if (i === LatencyHistogram.BUCKETS - 1) return this.maxMs;
      return Math.min(this.maxMs, Math.max(this.minMs, LatencyHistogram.upperBound(i)));
    }
    return this.maxMs;
  }

  /** Mean, ms. @throws RangeError when empty */
  mean(): number {
    if (this.count === 0) throw new RangeError('mean of an empty histogram');
    return this.sumMs / this.count;
  }

  toJSON(): HistogramData {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < LatencyHistogram.BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return {
      buckets,
      count: this.count,
      minMs: this.count ? this.minMs : null,
      maxMs: this.count ? this.maxMs : null,
      sumMs: this.sumMs,
    };
  }

  /** @throws RangeError on a bucket index outside the histogram */
  static fromJSON(d: HistogramData): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [i, n] of d.buckets) {
      if (!(Number.isInteger(i) && i >= 0 && i < LatencyHistogram.BUCKETS))
        throw new RangeError(`histogram bucket ${i} is out of range`);
      h.counts[i]! += n;
    }
    h.count = d.count;
    h.sumMs = d.sumMs;
    h.minMs = d.minMs ?? Infinity;
    h.maxMs = d.maxMs ?? -Infinity;
    return h;
  }
}
