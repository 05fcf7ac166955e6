/**
 * Reading Prometheus text exposition (the operator's `/metrics`, kube-apiserver's `/metrics`):
 * parsing samples, differences of counters between two scrapes, and quantiles of a histogram's
 * increase the way PromQL's `histogram_quantile` computes them (linear interpolation inside the
 * bucket that holds the rank).
 */
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HarnessState } from '../../test/harness/state.ts';

/** One sample line: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A scrape: its samples and when it was taken (`performance.now()`, ms). */
export interface Scrape {
  atMs: number;
  samples: Sample[];
}

/**
 * Parses exposition text, keeping only samples whose name starts with one of `prefixes`
 * (all when empty). Comment lines are skipped.
 */
export function parseMetrics(text: string, prefixes: readonly string[] = []): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (prefixes.length > 0 && !prefixes.some((p) => line.startsWith(p))) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!;
    }
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Whether `labels` contains every pair of `want`. */
function matches(labels: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

/** Sum of the samples named `name` whose labels include `want`. */
export function sum(s: Scrape, name: string, want: Record<string, string> = {}): number {
  let total = 0;
  for (const x of s.samples) if (x.name === name && matches(x.labels, want)) total += x.value;
  return total;
}

/** Increase of a counter (summed over matching series) from `a` to `b`. */
export function delta(a: Scrape, b: Scrape, name: string, want: Record<string, string> = {}): number {
  return sum(b, name, want) - sum(a, name, want);
}

/**
 * Increase from `a` to `b` of a counter, per value combination of the labels `by`
 * (e.g. `['verb', 'resource']` → `'GET pods'`), largest first, zero increases dropped.
 */
export function deltaBy(
  a: Scrape,
  b: Scrape,
  name: string,
  by: readonly string[],
  want: Record<string, string> = {},
): Array<{ key: string; value: number }> {
  const acc = new Map<string, number>();
  const add = (s: Scrape, sign: number) => {
    for (const x of s.samples) {
      if (x.name !== name || !matches(x.labels, want)) continue;
      const key = by
        .map((l) => x.labels[l] ?? '')
        .filter((v) => v !== '')
        .join(' ');
      acc.set(key, (acc.get(key) ?? 0) + sign * x.value);
    }
  };
  add(b, 1);
  add(a, -1);
  return [...acc]
    .map(([key, value]) => ({ key, value }))
    .filter((e) => e.value > 0)
    .sort((x, y) => y.value - x.value);
}

/** Cumulative bucket counts of a histogram's increase: upper bound (seconds) → count. */
export interface HistogramDelta {
  buckets: Array<{ le: number; count: number }>;
  count: number;
  /** Sum of the observed values, seconds. */
  sum: number;
}

/**
 * The increase of histogram `name` from `a` to `b`, summed over the series whose labels include
 * `want` (or satisfy it, when it is a predicate).
 */
export function histogramDelta(
  a: Scrape,
  b: Scrape,
  name: string,
  want: Record<string, string> | ((labels: Record<string, string>) => boolean) = {},
): HistogramDelta {
  const ok = typeof want === 'function' ? want : (l: Record<string, string>) => matches(l, want);
  const byLe = new Map<number, number>();
  let count = 0;
  let total = 0;
  const collect = (s: Scrape, sign: number) => {
    for (const x of s.samples) {
      if (!x.name.startsWith(name) || !ok(x.labels)) continue;
      if (x.name === `${name}_bucket`) {
        const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le);
        byLe.set(le, (byLe.get(le) ?? 0) + sign * x.value);
      } else if (x.name === `${name}_count`) count += sign * x.value;
      else if (x.name === `${name}_sum`) total += sign * x.value;
    }
  };
  collect(b, 1);
  collect(a, -1);
  return {
    buckets: [...byLe].map(([le, c]) => ({ le, count: c })).sort((x, y) => x.le - y.le),
    count,
    sum: total,
  };
}

/**
 * The `q`-quantile (0..1) of a histogram delta, as PromQL's `histogram_quantile`: linear
 * interpolation within the bucket holding rank q·count (lower bound 0 for the first bucket);
 * a rank in the +Inf bucket returns the largest finite bound. Undefined without observations.
 */
export function histogramQuantile(q: number, h: HistogramDelta): number | undefined {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const { le, count } of h.buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      if (count === prevCount) return le;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** Whether the rank of the `q`-quantile lies in the +Inf bucket (the quantile is then only a lower bound). */
export function quantileBeyondBuckets(q: number, h: HistogramDelta): boolean {
  const total = h.buckets.at(-1)?.count ?? 0;
  const finite = h.buckets.filter((b) => b.le !== Infinity).at(-1)?.count ?? 0;
  return total > 0 && q * total > finite;
}

/** Scrapes `url` (plain HTTP, e.g. the operator's `/metrics`). */
export async function scrapeHttp(url: string, prefixes: readonly string[] = []): Promise<Scrape> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const text = await res.text();
  return { atMs: performance.now(), samples: parseMetrics(text, prefixes) };
}

/** Scrapes the harness kube-apiserver's `/metrics` with the admin client certificate. */
export function scrapeApiserver(state: HarnessState, prefixes: readonly string[] = []): Promise<Scrape> {
  const cp = state.controlPlane;
  return new Promise((resolve, reject) => {
    const req = request(
      `${cp.server}/metrics`,
      { ca: cp.caData, cert: cp.adminCertData, key: cp.adminKeyData, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET ${cp.server}/metrics: HTTP ${res.statusCode}`));
            return;
          }
          resolve({
            atMs: performance.now(),
            samples: parseMetrics(Buffer.concat(chunks).toString('utf8'), prefixes),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('kube-apiserver /metrics timed out')));
    req.end();
  });
}

/**
 * Waits (at most `maxS` seconds) until the operator at `url` (its HTTP endpoint) has an empty
 * work queue and no reconcile running, at two scrapes in a row one second apart.
 * @returns whether it got there before `maxS`
 */
export async function waitQueueDrained(url: string, maxS: number): Promise<boolean> {
  const deadline = performance.now() + maxS * 1000;
  let quiet = 0;
  while (performance.now() < deadline && quiet < 2) {
    const s = await scrapeHttp(`${url}/metrics`, ['workqueue_depth', 'controller_runtime_active']);
    quiet =
      sum(s, 'workqueue_depth') === 0 && sum(s, 'controller_runtime_active_workers') === 0 ? quiet + 1 : 0;
    await sleep(1000);
  }
  return quiet >= 2;
}
