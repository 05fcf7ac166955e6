/**
 * Reading V8 CPU profiles (`node --cpu-prof`, the `.cpuprofile` JSON of the Chrome DevTools
 * protocol's `Profiler.Profile`): self and inclusive time per function and per area of the code,
 * as shares of the profile's sampled time. Used by bench/runtime/profile.ts.
 */

/** One node of a `.cpuprofile` call tree. */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  /** Samples whose stack ended here (self). */
  hitCount?: number;
  children?: number[];
}

/** A `.cpuprofile` document (only the fields read here). */
export interface CpuProfile {
  nodes: ProfileNode[];
  /** Node id of every sample, in time order. */
  samples?: number[];
  /** µs since the previous sample, one per sample. */
  timeDeltas?: number[];
}

/** Share of the sampled time, 0–1, of one function or area. */
export interface Share {
  name: string;
  self: number;
  inclusive: number;
}

/** Where a frame belongs: an area name for the summary table. */
export type Classifier = (frame: ProfileNode['callFrame']) => string;

/**
 * The area of Sluice's code or the platform a frame belongs to: the runtime's folders
 * (`runtime-image/src/<dir>`), node_modules packages, Node's modules (`node:internal/<dir>`
 * grouped by directory: streams, modules, ...), and V8's pseudo-frames
 * (`(garbage collector)`, `(idle)`, `(program)`).
 */
export const areaOf: Classifier = (f) => {
  if (f.functionName.startsWith('(') && f.url === '') return f.functionName;
  const rt = /runtime-image\/src\/([^/]+)\//.exec(f.url);
  if (rt) return `runtime ${rt[1]}/`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f.url);
  if (pkg) return `package ${pkg[1]}`;
  if (f.url.startsWith('node:internal/')) return `node internal/${f.url.split('/')[1]}`;
  if (f.url.startsWith('node:')) return `node ${f.url.slice('node:'.length)}`;
  if (f.url === '') return '(native)';
  return f.url.replace(/^.*\/(bench|api|test)\//, '$1/');
};

/** `name (file:line)` of a frame. */
export function frameName(f: ProfileNode['callFrame']): string {
  const file = f.url.replace(/^.*\/(runtime-image|node_modules|api|bench)\//, '$1/');
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

/**
 * Self and inclusive shares of the sampled time of `profiles` (several: e.g. the workers of one
 * run, their times added), grouped by `key` of each frame. A group counts once per sample even
 * when it appears several times on the stack (recursion). Weights are the time deltas when
 * present, else one per sample.
 * @returns groups by descending self share
 * @throws Error when the profiles have no samples
 */
export function shares(profiles: CpuProfile | CpuProfile[], key: Classifier): Share[] {
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  for (const profile of Array.isArray(profiles) ? profiles : [profiles]) {
    total += accumulate(profile, key, self, incl);
  }
  if (total === 0) throw new Error('the profile has no samples');
  return [...incl.keys()]
    .map((name) => ({ name, self: (self.get(name) ?? 0) / total, inclusive: incl.get(name)! / total }))
    .sort((a, b) => b.self - a.self || b.inclusive - a.inclusive);
}

/** Adds one profile's weights to `self` and `incl`; @returns its total weight */
function accumulate(
  profile: CpuProfile,
  key: Classifier,
  self: Map<string, number>,
  incl: Map<string, number>,
): number {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const weight = new Map<number, number>();
  const samples = profile.samples ?? [];
  if (samples.length > 0) {
    samples.forEach((id, i) => weight.set(id, (weight.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 1)));
  } else {
    for (const n of profile.nodes) if (n.hitCount) weight.set(n.id, n.hitCount);
  }
  let total = 0;
  for (const [id, w] of weight) {
    const leaf = byId.get(id);
    if (w <= 0 || !leaf) continue;
    total += w;
    const leafKey = key(leaf.callFrame);
    self.set(leafKey, (self.get(leafKey) ?? 0) + w);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + w);
    }
  }
  return total;
}

/** Sum of sampled time, µs (or samples when the profile has no time deltas). */
export function sampledTime(profile: CpuProfile): number {
  if (profile.timeDeltas) return profile.timeDeltas.reduce((a, b) => a + (b > 0 ? b : 0), 0);
  return profile.samples?.length ?? 0;
}
