/**
 * What the operator last read from (or wrote to) a job's Secrets, kept for (a jittered share of) the recheck period
 * (the operator's resync period) so that reconciles do not GET the same Secret again and again
 * (docs/operator.md "Reads: informer caches"). The operator may not list or watch Secrets
 * (docs/security.md), so this is a memo with an age, not a cache fed by a watch: a change made
 * to such a Secret by hand is seen within the recheck period, or as soon as the caller forgets
 * the entry (JobCredentials does when storage refuses the keys).
 *
 * Only successful reads are kept: a missing or unreadable Secret is read again next time.
 */
import type { Clock } from '../kube/clock.ts';
import { recheckAfterMs } from './recheck.ts';

interface Entry<T> {
  value: T;
  /** When it is read again, epoch ms (read or written + a jittered recheck period: recheck.ts). */
  until: number;
}

/** Sweeps expired entries once this many have been set since the last sweep. */
const SWEEP_EVERY = 1024;

/** See the module comment. `T` is what the caller derives from the Secret (keys, a Buffer). */
export class SecretMemo<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #random: () => number;
  #setsSinceSweep = 0;

  /**
   * @param maxAgeMs the recheck period, ms: a value stands for 50–100 % of it (recheck.ts)
   * @param random the jitter's uniform draw in [0, 1)
   */
  constructor(clock: Clock, maxAgeMs: number, random: () => number = Math.random) {
    this.#clock = clock;
    this.#maxAgeMs = maxAgeMs;
    this.#random = random;
  }

  /**
   * The value kept for `key` when it is younger than the recheck period and `valid` accepts it;
   * otherwise `load()`'s value, which is kept from now on.
   * @throws whatever `load` throws (nothing is kept then)
   */
  async get(key: string, load: () => Promise<T>, valid: (v: T) => boolean = () => true): Promise<T> {
    const e = this.#entries.get(key);
    if (e !== undefined && this.#clock.now() < e.until && valid(e.value)) return e.value;
    const value = await load();
    this.set(key, value);
    return value;
  }

  /** Keeps `value` for `key` from now on (the operator just wrote or read it). */
  set(key: string, value: T): void {
    this.#entries.set(key, {
      value,
      until: this.#clock.now() + recheckAfterMs(this.#maxAgeMs, this.#random),
    });
    if (++this.#setsSinceSweep >= SWEEP_EVERY) this.#sweep();
  }

  /** Forgets `key`: the next {@link get} reads the Secret. */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  /** Number of entries kept (expired ones included until the next sweep). */
  get size(): number {
    return this.#entries.size;
  }

  #sweep(): void {
    this.#setsSinceSweep = 0;
    const now = this.#clock.now();
    for (const [key, e] of this.#entries) if (now >= e.until) this.#entries.delete(key);
  }
}
