import { Registry } from 'prom-client';
import { FakeClock } from '../../../test/harness/fake-clock.ts';
import {
  Controller,
  done,
  parseKey,
  requeueAfter,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
} from './controller.ts';
import { silentLogger } from './logger.ts';
import { RuntimeMetrics } from './metrics.ts';
import { ItemExponentialBackoff } from './rate-limiter.ts';
import { WorkQueue } from './workqueue.ts';

const flush = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

function setup(
  reconcile: (req: ReconcileRequest, ctx: ReconcileContext) => Promise<ReconcileResult>,
  concurrency = 2,
  reconcileTimeoutMs?: number,
) {
  const clock = new FakeClock();
  const registry = new Registry();
  const metrics = new RuntimeMetrics(registry);
  const queue = new WorkQueue({
    clock,
    rateLimiter: new ItemExponentialBackoff(100, 10_000),
    observer: metrics.queueObserver('t'),
  });
  const controller = new Controller({
    name: 't',
    reconciler: { reconcile },
    queue,
    concurrency,
    metrics,
    log: silentLogger,
    clock,
    ...(reconcileTimeoutMs !== undefined ? { reconcileTimeoutMs } : {}),
  });
  const count = async (result: string) =>
    (await registry.getSingleMetric('controller_runtime_reconcile_total')!.get()).values.find(
      (v) => v.labels.result === result,
    )?.value ?? 0;
  return { clock, controller, queue, count, registry };
}

describe('Controller', () => {
  it('abandons a reconcile at its deadline, aborting its signal, so the worker serves other keys', async () => {
    const hung: Array<{ signal: AbortSignal; finish: () => void }> = [];
    const seen: string[] = [];
    const { controller, clock, count } = setup(
      async ({ name }, ctx) => {
        seen.push(name);
        if (name === 'stuck') await new Promise<void>((r) => hung.push({ signal: ctx.signal, finish: r }));
        return done();
      },
      1,
      1000,
    );
    controller.start();
    controller.enqueue('ns', 'stuck');
    controller.enqueue('ns', 'healthy');
    await flush();
    expect(seen).toEqual(['stuck']);
    clock.advance(1000);
    await flush();
    expect(hung[0]!.signal.aborted).toBe(true);
    expect(await count('error')).toBe(1);
    // The only worker moved on; the stuck key is not handed out again while its reconcile runs.
    expect(seen).toEqual(['stuck', 'healthy']);
    clock.advance(60_000);
    await flush();
    expect(seen.filter((n) => n === 'stuck')).toHaveLength(1);
    hung[0]!.finish();
    await flush();
    clock.advance(60_000);
    await flush();
    expect(seen.filter((n) => n === 'stuck')).toHaveLength(2);
  });

  it('reconciles queued keys, never the same key twice at once, and again after a change during a run', async () => {
    const running = new Map<string, number>();
    let maxSame = 0;
    const releases: Array<() => void> = [];
    const seen: string[] = [];
    const { controller } = setup(async ({ namespace, name }) => {
      const key = `${namespace}/${name}`;
      seen.push(key);
      running.set(key, (running.get(key) ?? 0) + 1);
      maxSame = Math.max(maxSame, running.get(key)!);
      await new Promise<void>((r) => releases.push(r));
      running.set(key, running.get(key)! - 1);
      return done();
    }, 4);
    controller.start();
    controller.enqueue('ns', 'a');
    controller.enqueue('ns', 'b');
    await flush();
    controller.enqueue('ns', 'a'); // changed while being reconciled
    controller.enqueue('ns', 'a');
    await flush();
    expect(seen).toEqual(['ns/a', 'ns/b']);
    releases.splice(0).forEach((r) => r());
    await flush();
    expect(seen).toEqual(['ns/a', 'ns/b', 'ns/a']);
    releases.splice(0).forEach((r) => r());
    await flush();
    expect(maxSame).toBe(1);
    await controller.stop(1000);
  });

  it('retries a failing reconcile with growing backoff and counts errors', async () => {
    let calls = 0;
    const { clock, controller, count } = setup(async () => {
      calls++;
      if (calls <= 2) throw new Error('API server unavailable');
      return done();
    });
    controller.start();
    controller.enqueue('ns', 'a');
    await flush();
    expect(calls).toBe(1);
    clock.advance(99);
    await flush();
    expect(calls).toBe(1);
    clock.advance(1);
    await flush();
    expect(calls).toBe(2);
    clock.advance(199);
    await flush();
    expect(calls).toBe(2);
    clock.advance(1);
    await flush();
    expect(calls).toBe(3);
    expect(await count('error')).toBe(2);
    expect(await count('success')).toBe(1);
    await controller.stop(1000);
  });

  it('requeues after the requested delay', async () => {
    let calls = 0;
    const { clock, controller, count } = setup(async () => (++calls === 1 ? requeueAfter(5000) : done()));
    controller.start();
    controller.enqueue('ns', 'a');
    await flush();
    clock.advance(4999);
    await flush();
    expect(calls).toBe(1);
    clock.advance(1);
    await flush();
    expect(calls).toBe(2);
    expect(await count('requeue_after')).toBe(1);
    await controller.stop(1000);
  });

  /**
   * A started controller whose reconciles of key `ns/a` return `results` in turn (then done),
   * enqueued once now and once more `secondAfterMs` later; `reconciledAt()` gives the times of
   * the reconciles so far, ms after the first.
   */
  async function twoReconciles(results: ReconcileResult[], secondAfterMs: number) {
    const at: number[] = [];
    const { clock, controller } = setup(async () => {
      at.push(clock.now());
      return results[at.length - 1] ?? done();
    });
    const t0 = clock.now();
    controller.start();
    controller.enqueue('ns', 'a');
    await flush();
    clock.advance(secondAfterMs);
    controller.enqueue('ns', 'a');
    await flush();
    const advance = async (ms: number) => {
      clock.advance(ms);
      await flush();
    };
    return { controller, advance, reconciledAt: () => at.map((t) => t - t0) };
  }

  it("replaces an earlier reconcile's deadline with the latest result's, and drops it on done", async () => {
    // A snapshot triggered (come back at its timeout, 30 s), then completed by its last ack 1 s
    // later (come back when the next one is due, 60 s after the trigger): the timeout is obsolete.
    const { controller, advance, reconciledAt } = await twoReconciles(
      [requeueAfter(30_000), requeueAfter(59_000), done()],
      1000,
    );
    expect(reconciledAt()).toEqual([0, 1000]);
    await advance(58_999); // past the 30 s timeout, which must not fire
    expect(reconciledAt()).toEqual([0, 1000]);
    await advance(1);
    expect(reconciledAt()).toEqual([0, 1000, 60_000]);
    await advance(3_600_000); // done: no deadline left
    expect(reconciledAt()).toHaveLength(3);
    await controller.stop(1000);
  });

  it('keeps a shorter deadline only when the latest result asks for it', async () => {
    const { controller, advance, reconciledAt } = await twoReconciles(
      [requeueAfter(60_000), requeueAfter(5_000)],
      1000,
    );
    await advance(5000);
    expect(reconciledAt()).toEqual([0, 1000, 6000]);
    await controller.stop(1000);
  });

  it('stops taking keys on stop and waits for running reconciles', async () => {
    let release!: () => void;
    let finished = false;
    const { controller } = setup(async () => {
      await new Promise<void>((r) => (release = r));
      finished = true;
      return done();
    });
    controller.start();
    controller.enqueue('ns', 'a');
    await flush();
    const stopped = controller.stop(10_000);
    controller.enqueue('ns', 'b');
    release();
    await stopped;
    expect(finished).toBe(true);
  });

  it('parses keys', () => {
    expect(parseKey('ns/a/b')).toEqual({ namespace: 'ns', name: 'a/b' });
    expect(() => parseKey('nokey')).toThrow(/is not namespace\/name/);
  });
});
