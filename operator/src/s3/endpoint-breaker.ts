/**
 * A circuit breaker per S3 endpoint for the operator's storage calls (docs/operator.md
 * "Timeouts"). An endpoint that let a call run into its deadline is not called again for a
 * cool-down (5 s, doubling on every further timeout up to 60 s): calls in between fail at once,
 * so jobs whose storage never answers cannot keep the reconcile workers busy waiting — each such
 * reconcile fails fast and is retried with backoff, and the other tenants' checkpoints keep
 * their schedule. After the cool-down one call at a time is let through (half-open); its answer
 * closes the circuit, another timeout opens it for longer.
 *
 * Only deadlines count: an answer, even an error (403, 404, connection refused), shows the
 * endpoint responds and closes the circuit.
 */
import { exponentialBackoff } from '../kube/backoff.ts';

/** Thrown for a call not attempted because the endpoint's circuit is open. */
export class EndpointUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointUnavailableError';
  }
}

interface Circuit {
  /** Consecutive timeouts. */
  failures: number;
  /** No call before this (epoch ms). */
  openUntil: number;
  /** A half-open probe is in flight. */
  probing: boolean;
  lastTimeoutAt: number;
}

/** Options of {@link EndpointBreaker}. */
export interface EndpointBreakerOptions {
  /** Cool-down after the first timeout, ms (default 5000); doubles per further timeout. */
  baseCooldownMs?: number;
  /** Longest cool-down, ms (default 60000). */
  maxCooldownMs?: number;
  /** Clock, epoch ms. */
  now?: () => number;
}

/** See the module comment. */
export class EndpointBreaker {
  readonly #circuits = new Map<string, Circuit>();
  readonly #base: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(o: EndpointBreakerOptions = {}) {
    this.#base = o.baseCooldownMs ?? 5_000;
    this.#max = o.maxCooldownMs ?? 60_000;
    this.#now = o.now ?? Date.now;
  }

  /**
   * Lets a call to `endpoint` go ahead, or refuses it.
   * @returns a function to report the call's outcome with: `'timeout'` (ran into its deadline),
   *   `'answered'` (any answer, errors included) or `'abandoned'` (given up for another reason,
   *   e.g. the reconcile's deadline: says nothing about the endpoint)
   * @throws EndpointUnavailableError while the circuit is open, or a probe is already in flight
   */
  admit(endpoint: string, what: string): (outcome: 'timeout' | 'answered' | 'abandoned') => void {
    const c = this.#circuits.get(endpoint);
    const now = this.#now();
    if (c) {
      if (now < c.openUntil || c.probing) {
        const ago = Math.round((now - c.lastTimeoutAt) / 1000);
        const retry = new Date(Math.max(c.openUntil, now)).toISOString();
        throw new EndpointUnavailableError(
          `${what} not attempted: ${endpoint} let a call run past its deadline ${ago} s ago (${c.failures} time(s) in a row); next attempt after ${retry}`,
        );
      }
      c.probing = true;
    }
    let reported = false;
    return (outcome) => {
      if (reported) return;
      reported = true;
      const cur = this.#circuits.get(endpoint);
      if (outcome === 'answered') {
        this.#circuits.delete(endpoint);
        return;
      }
      if (outcome === 'abandoned') {
        if (cur) cur.probing = false;
        return;
      }
      const failures = (cur?.failures ?? 0) + 1;
      const t = this.#now();
      this.#circuits.set(endpoint, {
        failures,
        openUntil: t + exponentialBackoff(this.#base, this.#max, failures - 1),
        probing: false,
        lastTimeoutAt: t,
      });
    };
  }

  /** Endpoints whose circuit is open now (for logs and tests). */
  openEndpoints(): string[] {
    const now = this.#now();
    return [...this.#circuits].filter(([, c]) => now < c.openUntil).map(([e]) => e);
  }
}

/** The breaker every StorageClient of this process shares unless given another. */
export const sharedEndpointBreaker = new EndpointBreaker();
