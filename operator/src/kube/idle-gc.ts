/**
 * Gives memory back once a burst of reconciles is over (docs/operator.md "Memory"). V8 keeps a
 * burst's garbage, and the heap pages it grew, until its memory reducer notices the process is
 * idle, one to three minutes later; until then the operator's RSS stays at the burst's peak.
 * When the work queue has done at least `minWork` keys since the last collection and then
 * nothing for `quietMs`, this asks V8 once for a full, memory-reducing collection (the
 * inspector protocol's `HeapProfiler.collectGarbage`, in process: no port, no flag). It costs one
 * pause of the main thread, 0.1–0.6 s at 1000 jobs, at a moment when there is no work to delay.
 */
import { Session } from 'node:inspector/promises';
import type { Clock, TimerHandle } from './clock.ts';
import { errField, type Logger } from './logger.ts';
import type { QueueObserver } from './workqueue.ts';

/** Options of {@link IdleCollector}. */
export interface IdleCollectorOptions {
  clock: Clock;
  log: Logger;
  /** Keys done since the last collection before one is worth it. */
  minWork: number;
  /** How long the queue must have done nothing, ms. */
  quietMs: number;
  /** The collection; default: V8's full GC through the inspector ({@link collectAllGarbage}). */
  collect?: () => Promise<void>;
}

/** One full, memory-reducing V8 garbage collection, through an in-process inspector session. */
export async function collectAllGarbage(): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
}

/** See the module comment. */
export class IdleCollector {
  readonly #o: IdleCollectorOptions;
  #work = 0;
  #lastWorkAt = 0;
  #timer: TimerHandle | undefined;

  constructor(options: IdleCollectorOptions) {
    this.#o = options;
  }

  /** `inner` (the queue's metrics observer) that also tells this collector when work is done. */
  observe(inner: QueueObserver): QueueObserver {
    return {
      ...inner,
      workDuration: (seconds) => {
        inner.workDuration(seconds);
        this.#done();
      },
    };
  }

  /** Stops waiting for the queue to go quiet. */
  stop(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #done(): void {
    this.#work++;
    this.#lastWorkAt = this.#o.clock.now();
    if (this.#work >= this.#o.minWork && this.#timer === undefined) this.#arm(this.#o.quietMs);
  }

  #arm(ms: number): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      const quietFor = this.#o.clock.now() - this.#lastWorkAt;
      if (quietFor < this.#o.quietMs) this.#arm(this.#o.quietMs - quietFor);
      else void this.#collect();
    }, ms);
  }

  async #collect(): Promise<void> {
    const work = this.#work;
    this.#work = 0;
    const before = process.memoryUsage();
    const started = performance.now();
    try {
      await (this.#o.collect ?? collectAllGarbage)();
    } catch (err) {
      this.#o.log.warn(errField(err), 'garbage collection after a burst failed');
      return;
    }
    const after = process.memoryUsage();
    const mib = (n: number) => Math.round(n / 2 ** 20);
    this.#o.log.info(
      {
        reconciles: work,
        pauseMs: Math.round(performance.now() - started),
        heapUsedMiB: [mib(before.heapUsed), mib(after.heapUsed)],
        rssMiB: [mib(before.rss), mib(after.rss)],
      },
      'collected garbage after a burst of reconciles',
    );
  }
}
