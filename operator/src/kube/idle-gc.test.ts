import { FakeClock } from '../../../test/harness/fake-clock.ts';
import { collectAllGarbage, IdleCollector } from './idle-gc.ts';
import { silentLogger } from './logger.ts';
import type { QueueObserver } from './workqueue.ts';

const noop: QueueObserver = {
  depth: () => undefined,
  added: () => undefined,
  retried: () => undefined,
  queueLatency: () => undefined,
  workDuration: () => undefined,
};

function setUp(minWork: number, quietMs: number) {
  const clock = new FakeClock();
  let collections = 0;
  const durations: number[] = [];
  const collector = new IdleCollector({
    clock,
    log: silentLogger,
    minWork,
    quietMs,
    collect: async () => {
      collections++;
    },
  });
  const observer = collector.observe({ ...noop, workDuration: (s) => durations.push(s) });
  /** Collections so far, after moving the clock `ms` forward and letting timers' work run. */
  const collectionsAfter = async (ms: number) => {
    clock.advance(ms);
    await settle();
    return collections;
  };
  return { clock, observer, durations, collectionsAfter };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('IdleCollector', () => {
  it('collects once when the queue goes quiet after enough work, and passes the work on', async () => {
    const { observer, durations, collectionsAfter } = setUp(3, 10_000);
    for (let i = 0; i < 3; i++) observer.workDuration(0.01);
    expect(durations).toEqual([0.01, 0.01, 0.01]);
    expect(await collectionsAfter(9_999)).toBe(0);
    expect(await collectionsAfter(1)).toBe(1);
    expect(await collectionsAfter(60_000)).toBe(1);
  });

  it('waits while work goes on, counting from the last key done', async () => {
    const { observer, collectionsAfter } = setUp(2, 10_000);
    observer.workDuration(0.01);
    observer.workDuration(0.01);
    for (let i = 0; i < 5; i++) {
      expect(await collectionsAfter(6_000)).toBe(0);
      observer.workDuration(0.01);
    }
    expect(await collectionsAfter(9_999)).toBe(0);
    expect(await collectionsAfter(1)).toBe(1);
  });

  it('does not collect after less work than minWork', async () => {
    const { observer, collectionsAfter } = setUp(3, 10_000);
    observer.workDuration(0.01);
    observer.workDuration(0.01);
    expect(await collectionsAfter(60_000)).toBe(0);
  });
});

describe('collectAllGarbage', () => {
  it('runs a full collection through the inspector: an unreachable object is gone after it', async () => {
    const ref = ((): WeakRef<object> => new WeakRef({ big: new Array(1000).fill('x') }))();
    await settle();
    await collectAllGarbage();
    expect(ref.deref()).toBeUndefined();
  });
});
