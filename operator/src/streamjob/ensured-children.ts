/**
 * Which jobs' attempt children (ServiceAccount, Role, RoleBinding, Service, NetworkPolicy,
 * shuffle token, snapshot key: attempt-children.ts) this process has ensured, and for what
 * desired state. A reconcile whose desired children are the ones last ensured for the job skips
 * reading them again (six or seven GETs) until its share of the recheck period has passed
 * (recheck.ts)
 * (docs/operator.md "Reads: informer caches"). The operator forgets a job whose Role it changes
 * behind the desired state (a revoked pod name), so the next reconcile reads and repairs. Storage
 * credentials are not covered here: job-credentials.ts keeps them for the same period (secret-memo.ts).
 *
 * The cost: a child deleted or changed by hand is repaired within the recheck period (the
 * operator's resync period) rather than on the next reconcile.
 */
import type { Clock } from '../kube/clock.ts';
import { recheckAfterMs } from './recheck.ts';

interface Entry {
  fingerprint: string;
  /** When they are read again, epoch ms (ensured + a jittered recheck period: recheck.ts). */
  until: number;
}

/** See the module comment. */
export class EnsuredChildren {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Clock;
  readonly #recheckMs: number;
  readonly #random: () => number;

  /**
   * @param recheckMs the recheck period, ms: an ensure stands for 50–100 % of it (recheck.ts)
   * @param random the jitter's uniform draw in [0, 1)
   */
  constructor(clock: Clock, recheckMs: number, random: () => number = Math.random) {
    this.#clock = clock;
    this.#recheckMs = recheckMs;
    this.#random = random;
  }

  /**
   * Whether the children of job `key` (`namespace/name`) were ensured for `fingerprint` (which
   * covers the job's uid) less than the recheck period ago.
   */
  fresh(key: string, fingerprint: string): boolean {
    const e = this.#entries.get(key);
    return e !== undefined && e.fingerprint === fingerprint && this.#clock.now() < e.until;
  }

  /** Records that the job's children were ensured for `fingerprint` just now. */
  record(key: string, fingerprint: string): void {
    this.#entries.set(key, {
      fingerprint,
      until: this.#clock.now() + recheckAfterMs(this.#recheckMs, this.#random),
    });
  }

  /** Forgets the job `key`: its next reconcile reads and ensures every child. */
  forget(key: string): void {
    this.#entries.delete(key);
  }
}
