import { FakeClock } from '../../../test/harness/fake-clock.ts';
import { ItemExponentialBackoff } from './rate-limiter.ts';
import { WorkQueue, type QueueObserver } from './workqueue.ts';

function makeQueue(observer?: QueueObserver) {
  const clock = new FakeClock();
  const queue = new WorkQueue({ clock, rateLimiter: new ItemExponentialBackoff(100, 1000), observer });
  return { clock, queue };
}

/** Resolves what `get` resolved, or 'pending' when it has not resolved after a macrotask. */
async function peek(p: Promise<string | undefined>): Promise<string | undefined | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

describe('WorkQueue', () => {
  it('collapses repeated adds of a waiting key', async () => {
    const { queue } = makeQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.len()).toBe(2);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
    expect(await peek(queue.get())).toBe('pending');
  });

  it('never hands out a key twice at once; an add during processing re-queues it on done', async () => {
    const { queue } = makeQueue();
    queue.add('k');
    expect(await queue.get()).toBe('k');
    queue.add('k');
    queue.add('k');
    expect(queue.len()).toBe(0);
    const second = queue.get();
    expect(await peek(second)).toBe('pending');
    queue.done('k');
    expect(await second).toBe('k');
    queue.done('k');
    expect(queue.len()).toBe(0);
  });

  it('does not re-queue a key that was not added again while processing', async () => {
    const { queue } = makeQueue();
    queue.add('k');
    await queue.get();
    queue.done('k');
    expect(await peek(queue.get())).toBe('pending');
  });

  it('delays addAfter and keeps the earliest deadline of a key', async () => {
    const { clock, queue } = makeQueue();
    queue.addAfter('k', 1000);
    queue.addAfter('k', 300);
    queue.addAfter('k', 5000);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(299);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('k');
  });

  it('cancelAfter drops a pending delayed add, and a later addAfter sets a new deadline', async () => {
    const { clock, queue } = makeQueue();
    queue.addAfter('k', 300);
    queue.addAfter('other', 300);
    queue.cancelAfter('k');
    queue.cancelAfter('never-added');
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(300);
    expect(await queue.get()).toBe('other');
    expect(queue.len()).toBe(0);
    queue.addAfter('k', 5000);
    clock.advance(4999);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(await queue.get()).toBe('k');
  });

  it('backs off rate-limited adds exponentially and resets on forget', async () => {
    const { clock, queue } = makeQueue();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.now();
      queue.addRateLimited('k');
      for (let waited = 0; queue.len() === 0 && waited < 10_000; waited++) clock.advance(1);
      delays.push(clock.now() - start);
      queue.done((await queue.get())!);
    }
    expect(delays).toEqual([100, 200, 400, 800]);
    expect(queue.retries('k')).toBe(4);
    queue.forget('k');
    expect(queue.retries('k')).toBe(0);
  });

  it('wakes a waiting get when a key arrives', async () => {
    const { queue } = makeQueue();
    const waiting = queue.get();
    queue.add('k');
    expect(await waiting).toBe('k');
  });

  it('on shutdown drains queued keys, then resolves undefined and ignores new adds', async () => {
    const { clock, queue } = makeQueue();
    queue.add('a');
    queue.addAfter('b', 100);
    const idle = makeQueue().queue;
    const blocked = idle.get();
    idle.shutDown();
    expect(await blocked).toBeUndefined();

    queue.shutDown();
    clock.advance(1000);
    queue.add('c');
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBeUndefined();
  });

  it('reports depth, latency and work duration to its observer', async () => {
    const seen = {
      depth: [] as number[],
      added: 0,
      retried: 0,
      latency: [] as number[],
      work: [] as number[],
    };
    const { clock, queue } = makeQueue({
      depth: (n) => seen.depth.push(n),
      added: () => seen.added++,
      retried: () => seen.retried++,
      queueLatency: (s) => seen.latency.push(s),
      workDuration: (s) => seen.work.push(s),
    });
    queue.add('a');
    queue.add('b');
    clock.advance(250);
    await queue.get();
    clock.advance(500);
    queue.done('a');
    queue.addRateLimited('a');
    expect(seen.depth).toEqual([1, 2, 1]);
    expect(seen.added).toBe(2);
    expect(seen.retried).toBe(1);
    expect(seen.latency).toEqual([0.25]);
    expect(seen.work).toEqual([0.5]);
  });
});
