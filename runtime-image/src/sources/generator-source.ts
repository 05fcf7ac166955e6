/**
 * Deterministic generator source: record n (0-based, global) is `generate(n)`, so the same
 * options always give the same records. The sequence is cut into `partitions` splits:
 * partition k holds records n ≡ k (mod partitions), and its state is the number of its records
 * already emitted. Partition k is read by subtask k mod parallelism (split-assignment.ts).
 *
 * Event time: if records carry timestamps non-decreasing in n, the watermark of a partition is
 * its last emitted timestamp − 1 (no later record of it is older); the source's watermark is
 * the minimum over its unfinished partitions, +Infinity when all are finished (or it has none).
 */
import { RateLimiter } from '../core/rate-limiter.ts';
import {
  NO_TIMESTAMP,
  type OperatorContext,
  type Source,
  type SourceReader,
  type SourceRecord,
  type SplitState,
} from '../api/types.ts';
import { ownerOfIndexedSplit } from './split-assignment.ts';

/** Options of a generator source. */
export interface GeneratorOptions<T> {
  /** Total records over all partitions; Infinity (default) for an unbounded stream. */
  count?: number;
  /** Number of splits (default 1). Parallelism above it leaves subtasks without a partition. */
  partitions?: number;
  /** Records per second over all partitions (default: unlimited); each subtask takes its partitions' share. */
  rate?: number;
  /** Record n. Must be a pure function of n. */
  generate(n: number): SourceRecord<T>;
}

/** State of one partition. */
export interface GeneratorSplit extends SplitState {
  partition: number;
  /** Records of this partition already emitted. */
  next: number;
}

interface Partition {
  k: number;
  next: number;
  /** Records this partition has in total. */
  size: number;
  lastTs: number;
}

/** Records of partition k when `count` records are spread over `partitions` (n ≡ k mod partitions). */
export function partitionSize(count: number, partitions: number, k: number): number {
  if (count === Infinity) return Infinity;
  return Math.max(0, Math.ceil((count - k) / partitions));
}

/**
 * A generator source.
 * @throws RangeError on a non-positive partition count or negative count
 */
export function generatorSource<T>(opts: GeneratorOptions<T>): Source<T> {
  const partitions = opts.partitions ?? 1;
  const count = opts.count ?? Infinity;
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be ≥ 1, got ${partitions}`);
  if (!(count >= 0)) throw new RangeError(`count must be ≥ 0, got ${count}`);
  return {
    kind: 'generator',
    open(ctx: OperatorContext, restored: SplitState[] | undefined): Promise<SourceReader<T>> {
      const resumed = new Map<number, number>();
      for (const s of restored ?? []) {
        const g = s as GeneratorSplit;
        if (typeof g.partition === 'number' && typeof g.next === 'number') resumed.set(g.partition, g.next);
      }
      const owned: Partition[] = [];
      for (let k = 0; k < partitions; k++) {
        if (ownerOfIndexedSplit(k, ctx.parallelism) !== ctx.subtask) continue;
        owned.push({
          k,
          next: resumed.get(k) ?? 0,
          size: partitionSize(count, partitions, k),
          lastTs: -Infinity,
        });
      }
      const share = opts.rate ? (opts.rate * owned.length) / partitions : Infinity;
      const limiter = new RateLimiter(share);
      const reader: SourceReader<T> = {
        poll(max) {
          const active = owned.filter((p) => p.next < p.size);
          if (active.length === 0) return Promise.resolve('end');
          const n = limiter.take(max);
          if (n === 0) return Promise.resolve('idle');
          const out: SourceRecord<T>[] = [];
          for (let i = 0; i < n; i++) {
            // The partition whose next record comes first in the global sequence.
            let best: Partition | undefined;
            let bestN = Infinity;
            for (const p of active) {
              if (p.next >= p.size) continue;
              const gn = p.next * partitions + p.k;
              if (gn < bestN) {
                bestN = gn;
                best = p;
              }
            }
            if (!best) break;
            const rec = opts.generate(bestN);
            best.next++;
            const ts = rec.timestamp ?? NO_TIMESTAMP;
            if (ts > best.lastTs) best.lastTs = ts;
            out.push(rec);
          }
          return Promise.resolve(out);
        },
        watermark() {
          let wm = Infinity;
          for (const p of owned) if (p.next < p.size && p.lastTs - 1 < wm) wm = p.lastTs - 1;
          return wm;
        },
        snapshot: () =>
          owned.map((p): GeneratorSplit => ({ id: `partition-${p.k}`, partition: p.k, next: p.next })),
        splitCount: () => owned.length,
        close: () => Promise.resolve(),
      };
      return Promise.resolve(reader);
    },
  };
}
