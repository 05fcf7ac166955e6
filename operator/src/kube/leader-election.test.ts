import { FakeClock } from '../../../test/harness/fake-clock.ts';
import {
  LeaderElector,
  decide,
  nextRecord,
  shouldStepDown,
  validateTiming,
  type LeaseClient,
  type LeaseRecord,
  type ObservedLease,
} from './leader-election.ts';
import { silentLogger } from './logger.ts';

const held = (holder: string, durationS = 15, rv = '1'): ObservedLease => ({
  resourceVersion: rv,
  record: {
    holderIdentity: holder,
    leaseDurationSeconds: durationS,
    acquireTimeMs: 0,
    renewTimeMs: 0,
    leaseTransitions: 2,
  },
});

describe('leader election timing decisions', () => {
  it('creates a missing lease and renews its own', () => {
    expect(decide({ identity: 'a', lease: undefined, observedAtMs: 0, nowMs: 0 })).toEqual({
      action: 'create',
    });
    expect(decide({ identity: 'a', lease: held('a'), observedAtMs: 0, nowMs: 99_000 })).toEqual({
      action: 'renew',
    });
  });

  it("waits out another holder's lease duration measured from the local observation time", () => {
    const lease = held('b', 15);
    expect(decide({ identity: 'a', lease, observedAtMs: 1_000, nowMs: 10_000 })).toEqual({
      action: 'wait',
      holder: 'b',
      remainingMs: 6_000,
    });
    expect(decide({ identity: 'a', lease, observedAtMs: 1_000, nowMs: 16_000 })).toEqual({
      action: 'takeover',
      reason: 'expired',
    });
  });

  it('takes over a released lease at once', () => {
    expect(decide({ identity: 'a', lease: held('', 1), observedAtMs: 5, nowMs: 5 })).toEqual({
      action: 'takeover',
      reason: 'released',
    });
  });

  it('counts transitions on takeover and keeps acquireTime on renew', () => {
    const prev: LeaseRecord = held('b').record;
    const t = nextRecord({ action: 'takeover', reason: 'expired' }, prev, 'a', 15_000, 42);
    expect(t).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTimeMs: 42,
      renewTimeMs: 42,
      leaseTransitions: 3,
    });
    const r = nextRecord({ action: 'renew' }, t, 'a', 15_000, 99);
    expect(r).toEqual({ ...t, renewTimeMs: 99 });
    expect(() => nextRecord({ action: 'wait', holder: 'b', remainingMs: 1 }, prev, 'a', 15_000, 1)).toThrow(
      /held by b/,
    );
  });

  it('steps down once the renew deadline has passed since the last successful renewal', () => {
    expect(shouldStepDown(1_000, 10_999, 10_000)).toBe(false);
    expect(shouldStepDown(1_000, 11_000, 10_000)).toBe(true);
  });

  it('rejects timings under which a leader could outlive its lease', () => {
    expect(() =>
      validateTiming({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).not.toThrow();
    expect(() =>
      validateTiming({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).toThrow(/lease duration .* must be greater than renew deadline/);
    expect(() =>
      validateTiming({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
    ).toThrow(/renew deadline .* must be greater than 1.2 × retry period/);
  });
});

/** One Lease in memory with resourceVersion preconditions, like the API server. */
class MemoryLease implements LeaseClient {
  stored: ObservedLease | undefined;
  failing = false;
  #rv = 0;

  async get() {
    if (this.failing) throw Object.assign(new Error('connection refused'), { code: 503 });
    return this.stored && structuredClone(this.stored);
  }
  async create(record: LeaseRecord) {
    if (this.failing) throw Object.assign(new Error('connection refused'), { code: 503 });
    if (this.stored)
      throw Object.assign(new Error('exists'), { code: 409, body: { reason: 'AlreadyExists' } });
    this.stored = { record, resourceVersion: String(++this.#rv) };
    return structuredClone(this.stored);
  }
  async update(record: LeaseRecord, resourceVersion: string) {
    if (this.failing) throw Object.assign(new Error('connection refused'), { code: 503 });
    if (this.stored?.resourceVersion !== resourceVersion) {
      throw Object.assign(new Error('conflict'), { code: 409, body: { reason: 'Conflict' } });
    }
    this.stored = { record, resourceVersion: String(++this.#rv) };
    return structuredClone(this.stored);
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function candidate(name: string, lease: MemoryLease, clock: FakeClock) {
  const events: string[] = [];
  const elector = new LeaderElector({
    client: lease,
    identity: name,
    timing: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    clock,
    log: silentLogger,
    random: () => 0,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
  });
  const stop = new AbortController();
  const done = elector.run(stop.signal);
  return { elector, events, stop, done };
}

async function advance(clock: FakeClock, ms: number, step = 500) {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

describe('LeaderElector', () => {
  it('elects exactly one of two candidates; the other takes over after the leader releases', async () => {
    const clock = new FakeClock();
    const lease = new MemoryLease();
    const a = candidate('a', lease, clock);
    await flush();
    const b = candidate('b', lease, clock);
    await advance(clock, 6_000);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    expect(lease.stored?.record.holderIdentity).toBe('a');

    a.stop.abort();
    await a.done;
    expect(lease.stored?.record.holderIdentity).toBe('');
    await advance(clock, 2_500);
    expect(b.elector.isLeader()).toBe(true);
    expect(lease.stored?.record.leaseTransitions).toBe(1);
    b.stop.abort();
    await b.done;
  });

  it('takes over from a leader that vanished without releasing once the lease duration has passed', async () => {
    const clock = new FakeClock();
    const lease = new MemoryLease();
    lease.stored = held('ghost', 15, '7');
    const b = candidate('b', lease, clock);
    await advance(clock, 14_000);
    expect(b.elector.isLeader()).toBe(false);
    await advance(clock, 4_000);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.events).toEqual(['started']);
    b.stop.abort();
    await b.done;
  });

  it('stops leading when renewals fail for the renew deadline', async () => {
    const clock = new FakeClock();
    const lease = new MemoryLease();
    const a = candidate('a', lease, clock);
    await advance(clock, 1_000);
    expect(a.events).toEqual(['started']);
    lease.failing = true;
    await advance(clock, 8_000);
    expect(a.elector.isLeader()).toBe(true);
    await advance(clock, 4_000);
    await a.done;
    expect(a.events).toEqual(['started', 'stopped']);
    expect(a.elector.isLeader()).toBe(false);
  });
});
