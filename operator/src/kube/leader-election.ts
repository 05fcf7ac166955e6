/**
 * Leader election on a coordination.k8s.io/v1 Lease, the protocol of client-go's
 * `tools/leaderelection` (which client-node lacks):
 *
 * - a candidate reads the Lease every `retryPeriod`; it may take it when nobody holds it, when
 *   the holder released it (empty holderIdentity), or when the record has not changed for
 *   `leaseDuration` as measured on the candidate's own clock since it last saw it change
 *   (client-go's "observed time", so clock skew between nodes does not matter);
 * - all writes are replaces with the read resourceVersion, so two candidates can't both win;
 * - the leader renews every `retryPeriod`; when it has not renewed successfully for
 *   `renewDeadline` it must stop leading (the operator exits) — by then nobody else can have
 *   taken over, because `renewDeadline < leaseDuration`;
 * - on graceful shutdown the leader releases the Lease (holder '' and a 1 s duration) so a
 *   standby takes over within one retry period.
 *
 * Timestamps in the Lease are MicroTime (RFC 3339 with six fractional digits).
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { sleep, type Clock } from './clock.ts';
import { isAlreadyExists, isConflict, isNotFound, apiStatus } from './errors.ts';
import type { Logger } from './logger.ts';

/** The fields of a Lease's spec that leader election reads and writes. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** When the current holder acquired it (ms since epoch). */
  acquireTimeMs: number;
  /** When the holder last renewed it (ms since epoch). */
  renewTimeMs: number;
  leaseTransitions: number;
}

/** A Lease as read: its record and the resourceVersion to write against. */
export interface ObservedLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** Reads and writes one Lease object. */
export interface LeaseClient {
  /** The Lease, or undefined when it does not exist. */
  get(): Promise<ObservedLease | undefined>;
  /** Creates it; rejects with 409 AlreadyExists when someone else did first. */
  create(record: LeaseRecord): Promise<ObservedLease>;
  /** Replaces it; rejects with 409 Conflict when `resourceVersion` is stale. */
  update(record: LeaseRecord, resourceVersion: string): Promise<ObservedLease>;
}

/** Timing of leader election, all in milliseconds (client-go defaults 15 s / 10 s / 2 s). */
export interface ElectionTiming {
  /** How long a non-leader waits after the last observed change before taking over. */
  leaseDurationMs: number;
  /** How long the leader keeps trying to renew before it gives up leadership. */
  renewDeadlineMs: number;
  /** Interval between attempts to acquire or renew. */
  retryPeriodMs: number;
}

/** client-go's jitter factor for the acquire loop; also the margin of the timing check. */
export const JITTER_FACTOR = 1.2;

/**
 * Checks `leaseDuration > renewDeadline > JITTER_FACTOR · retryPeriod > 0`, the inequalities
 * client-go enforces (they guarantee a leader gives up before anyone may take over).
 * @throws RangeError naming the violated relation.
 */
export function validateTiming(t: ElectionTiming): void {
  if (!(t.retryPeriodMs > 0)) throw new RangeError(`retry period must be > 0 (got ${t.retryPeriodMs} ms)`);
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) {
    throw new RangeError(
      `lease duration (${t.leaseDurationMs} ms) must be greater than renew deadline (${t.renewDeadlineMs} ms)`,
    );
  }
  if (!(t.renewDeadlineMs > JITTER_FACTOR * t.retryPeriodMs)) {
    throw new RangeError(
      `renew deadline (${t.renewDeadlineMs} ms) must be greater than ${JITTER_FACTOR} × retry period (${t.retryPeriodMs} ms)`,
    );
  }
}

/** What a candidate should do with the Lease it just read. */
export type LeaseDecision =
  | { action: 'create' }
  | { action: 'renew' }
  | { action: 'takeover'; reason: 'released' | 'expired' }
  | { action: 'wait'; holder: string; remainingMs: number };

/** Inputs of {@link decide}. */
export interface DecideInput {
  identity: string;
  /** The Lease as just read; undefined when it does not exist. */
  lease: ObservedLease | undefined;
  /** Local time (ms) at which this candidate first saw the lease's current resourceVersion. */
  observedAtMs: number;
  nowMs: number;
}

/**
 * The acquire/renew decision of client-go's `tryAcquireOrRenew`: create a missing Lease, renew
 * our own, take over a released or expired one, else wait. Expiry uses the holder's
 * `leaseDurationSeconds` and the candidate's local observation time.
 */
export function decide(input: DecideInput): LeaseDecision {
  const { lease, identity, observedAtMs, nowMs } = input;
  if (!lease) return { action: 'create' };
  const r = lease.record;
  if (r.holderIdentity === identity) return { action: 'renew' };
  if (r.holderIdentity === '') return { action: 'takeover', reason: 'released' };
  const expiresAt = observedAtMs + r.leaseDurationSeconds * 1000;
  if (nowMs < expiresAt) return { action: 'wait', holder: r.holderIdentity, remainingMs: expiresAt - nowMs };
  return { action: 'takeover', reason: 'expired' };
}

/**
 * The record to write for a create/renew/takeover decision.
 * @throws Error for a `wait` decision (there is nothing to write).
 */
export function nextRecord(
  decision: LeaseDecision,
  previous: LeaseRecord | undefined,
  identity: string,
  leaseDurationMs: number,
  nowMs: number,
): LeaseRecord {
  const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
  switch (decision.action) {
    case 'create':
      return {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTimeMs: nowMs,
        renewTimeMs: nowMs,
        leaseTransitions: 0,
      };
    case 'renew':
      return { ...previous!, holderIdentity: identity, leaseDurationSeconds, renewTimeMs: nowMs };
    case 'takeover':
      return {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTimeMs: nowMs,
        renewTimeMs: nowMs,
        leaseTransitions: (previous?.leaseTransitions ?? 0) + 1,
      };
    case 'wait':
      throw new Error(`lease is held by ${decision.holder}; nothing to write`);
  }
}

/** Whether a leader whose last successful renewal was at `lastRenewMs` must give up at `nowMs`. */
export function shouldStepDown(lastRenewMs: number, nowMs: number, renewDeadlineMs: number): boolean {
  return nowMs - lastRenewMs >= renewDeadlineMs;
}

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  client: LeaseClient;
  /** Unique per process, e.g. `<pod name>_<random>`. */
  identity: string;
  timing: ElectionTiming;
  clock: Clock;
  log: Logger;
  /** Called once when this process becomes leader. */
  onStartedLeading(): void;
  /** Called once when this process loses leadership without having been asked to stop. */
  onStoppedLeading(): void;
  /** Called whenever the observed holder changes (for logs and metrics). */
  onNewLeader?(identity: string): void;
  /** Returns a number in [0, 1) for jitter; Math.random by default. */
  random?: () => number;
}

/** Runs the election loop; see the module comment. */
export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  #observed: ObservedLease | undefined;
  #observedAtMs = 0;
  #leading = false;
  #lastHolder: string | undefined;

  constructor(options: LeaderElectorOptions) {
    validateTiming(options.timing);
    this.#o = options;
  }

  /** Whether this process currently holds the Lease. */
  isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Acquires, then renews until `signal` aborts (then releases the Lease) or renewal fails for
   * `renewDeadline` (then calls `onStoppedLeading`). Resolves when either happened.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, timing, log } = this.#o;
    const random = this.#o.random ?? Math.random;
    while (!signal.aborted) {
      if (await this.#attempt(timing.retryPeriodMs)) break;
      await sleep(clock, timing.retryPeriodMs * (1 + random() * (JITTER_FACTOR - 1)), signal);
    }
    if (signal.aborted) return;
    this.#leading = true;
    log.info({ identity: this.#o.identity }, 'became leader');
    this.#o.onStartedLeading();

    let lastRenewMs = clock.now();
    while (!signal.aborted) {
      await sleep(clock, timing.retryPeriodMs, signal);
      if (signal.aborted) break;
      const budget = timing.renewDeadlineMs - (clock.now() - lastRenewMs);
      if (await this.#attempt(Math.max(budget, 1))) {
        lastRenewMs = clock.now();
      } else if (shouldStepDown(lastRenewMs, clock.now(), timing.renewDeadlineMs)) {
        this.#leading = false;
        log.error(
          { identity: this.#o.identity, renewDeadlineMs: timing.renewDeadlineMs },
          'failed to renew the leader lease within the renew deadline; stopping leadership',
        );
        this.#o.onStoppedLeading();
        return;
      }
    }
    await this.release();
  }

  /** Gives the Lease up if we hold it (best effort; errors are logged). */
  async release(): Promise<void> {
    if (!this.#leading || !this.#observed) return;
    this.#leading = false;
    const { client, clock, log } = this.#o;
    try {
      const now = clock.now();
      await client.update(
        { ...this.#observed.record, holderIdentity: '', leaseDurationSeconds: 1, renewTimeMs: now },
        this.#observed.resourceVersion,
      );
      log.info({ identity: this.#o.identity }, 'released the leader lease');
    } catch (err) {
      log.warn(
        { identity: this.#o.identity, error: apiStatus(err).message },
        'could not release the leader lease',
      );
    }
  }

  /** One try to acquire or renew, bounded by `timeoutMs`; true when we hold the Lease afterwards. */
  async #attempt(timeoutMs: number): Promise<boolean> {
    const { clock } = this.#o;
    const controller = new AbortController();
    const timeout = sleep(clock, timeoutMs, controller.signal).then(() => false);
    try {
      return await Promise.race([this.#tryAcquireOrRenew(), timeout]);
    } finally {
      controller.abort();
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, identity, clock, timing, log } = this.#o;
    try {
      const lease = await client.get();
      const now = clock.now();
      if (lease && lease.resourceVersion !== this.#observed?.resourceVersion) {
        this.#observed = lease;
        this.#observedAtMs = now;
      }
      if (lease && lease.record.holderIdentity !== this.#lastHolder) {
        this.#lastHolder = lease.record.holderIdentity;
        if (lease.record.holderIdentity) this.#o.onNewLeader?.(lease.record.holderIdentity);
      }
      const decision = decide({ identity, lease, observedAtMs: this.#observedAtMs, nowMs: now });
      if (decision.action === 'wait') return false;
      const record = nextRecord(decision, lease?.record, identity, timing.leaseDurationMs, now);
      const written = lease
        ? await client.update(record, lease.resourceVersion)
        : await client.create(record);
      this.#observed = written;
      this.#observedAtMs = clock.now();
      if (decision.action !== 'renew') {
        log.info({ identity, action: decision.action }, 'acquired the leader lease');
        this.#lastHolder = identity;
        this.#o.onNewLeader?.(identity);
      }
      return true;
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        log.debug({ identity }, 'lost a race for the leader lease');
      } else {
        log.warn({ identity, error: apiStatus(err).message }, 'leader lease read or write failed');
      }
      return false;
    }
  }
}

function toMs(t: Date | string | undefined): number {
  if (t === undefined) return 0;
  const ms = new Date(t).getTime();
  return Number.isFinite(ms) ? ms : 0;
}

function fromLease(lease: V1Lease): ObservedLease {
  const s = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: s.holderIdentity ?? '',
      leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
      acquireTimeMs: toMs(s.acquireTime),
      renewTimeMs: toMs(s.renewTime),
      leaseTransitions: s.leaseTransitions ?? 0,
    },
  };
}

function toSpec(r: LeaseRecord): V1Lease['spec'] {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: new V1MicroTime(r.acquireTimeMs),
    renewTime: new V1MicroTime(r.renewTimeMs),
    leaseTransitions: r.leaseTransitions,
  };
}

/** A {@link LeaseClient} for Lease `namespace/name` through the API server. */
export function kubeLeaseClient(kc: KubeConfig, namespace: string, name: string): LeaseClient {
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    async get() {
      try {
        return fromLease(await api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async create(record) {
      const body: V1Lease = { metadata: { name, namespace }, spec: toSpec(record) };
      return fromLease(await api.createNamespacedLease({ namespace, body }));
    },
    async update(record, resourceVersion) {
      const body: V1Lease = { metadata: { name, namespace, resourceVersion }, spec: toSpec(record) };
      return fromLease(await api.replaceNamespacedLease({ name, namespace, body }));
    },
  };
}
