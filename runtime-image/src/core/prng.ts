/**
 * Counter-based pseudo-random numbers: the stream for (seed, n) depends only on those two
 * numbers, so a generator can produce event n without producing events 0..n−1 — the basis of
 * the deterministic, resumable sources. Mixing is the 32-bit finaliser of MurmurHash3 (fmix32);
 * draws use mulberry32 (Tommy Ettinger, public domain). Not for cryptography.
 */

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic random stream. */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n) for 1 ≤ n ≤ 2^32. */
  int(n: number): number;
}

/** mulberry32 over a 32-bit state: one object per stream, its methods on the prototype. */
class Mulberry32 implements Random {
  private state: number;

  constructor(state: number) {
    this.state = state;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(k: number): number {
    return Math.floor(this.next() * k);
  }
}

/**
 * The random stream for event `n` of generator `seed`.
 * @param seed any 32-bit integer
 * @param n a non-negative safe integer (< 2^53)
 */
export function randomFor(seed: number, n: number): Random {
  const lo = n >>> 0;
  const hi = Math.floor(n / 0x100000000) >>> 0;
  return new Mulberry32(
    fmix32(fmix32(seed ^ 0x9e3779b9) ^ fmix32(lo + 0x7f4a7c15) ^ Math.imul(fmix32(hi ^ 0x2545f491), 31)),
  );
}
