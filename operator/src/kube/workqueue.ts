/**
 * A work queue of keys (`namespace/name`) with client-go's workqueue semantics:
 *
 * - dedup: a key added while already waiting is queued once;
 * - exclusivity: a key handed out by `get` is never handed out again before `done(key)`; adds
 *   in between mark it dirty, and `done` queues it again (so no change is ever lost);
 * - delays: `addAfter` waits, collapsing to the earliest pending deadline of a key;
 *   `cancelAfter` drops a key's pending deadline (the controller does after a successful
 *   reconcile, whose own result replaces what earlier reconciles asked for: controller.ts);
 * - retries: `addRateLimited` waits as long as the rate limiter says (per-key exponential
 *   backoff, shared token bucket), `forget` resets the key's backoff.
 *
 * Keys are processed in FIFO order of (re)insertion.
 */
import type { Clock, TimerHandle } from './clock.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** Observes queue activity, e.g. to export `workqueue_*` metrics. All durations in seconds. */
export interface QueueObserver {
  /** The number of keys waiting to be handed out changed. */
  depth(n: number): void;
  /** A key was added (immediately or after its delay). */
  added(): void;
  /** A key was added through `addRateLimited`. */
  retried(): void;
  /** A key was handed out after waiting `seconds` in the queue. */
  queueLatency(seconds: number): void;
  /** A key was done after `seconds` of processing. */
  workDuration(seconds: number): void;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  clock: Clock;
  rateLimiter: RateLimiter;
  observer?: QueueObserver;
}

/** See the module comment. */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly #observer: QueueObserver | undefined;
  /** Keys waiting to be handed out, in order. */
  readonly #queue: string[] = [];
  /** Keys that need processing (waiting, or re-added while processing), with the time they were added. */
  readonly #dirty = new Map<string, number>();
  /** Keys handed out and not yet done, with the time they were handed out. */
  readonly #processing = new Map<string, number>();
  /** Pending delayed adds: deadline (epoch ms) and timer per key. */
  readonly #delayed = new Map<string, { at: number; timer: TimerHandle }>();
  /** `get` calls waiting for a key. */
  readonly #waiters: Array<(key: string | undefined) => void> = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.#clock = options.clock;
    this.#limiter = options.rateLimiter;
    this.#observer = options.observer;
  }

  /** Queues `key` now (a no-op when it already waits, or after shutdown). */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#observer?.added();
    this.#dirty.set(key, this.#clock.now());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /**
   * Queues `key` after `delayMs` milliseconds; if the key already has a pending delayed add, the
   * earlier deadline wins. A delay ≤ 0 adds immediately.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending) {
      if (pending.at <= at) return;
      this.#clock.clearTimeout(pending.timer);
    }
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { at, timer });
  }

  /** Drops the pending delayed add of `key`, if any (`addAfter`, `addRateLimited`). */
  cancelAfter(key: string): void {
    const pending = this.#delayed.get(key);
    if (!pending) return;
    this.#clock.clearTimeout(pending.timer);
    this.#delayed.delete(key);
  }

  /** Queues `key` after the rate limiter's delay; counts one more failure of the key. */
  addRateLimited(key: string): void {
    this.#observer?.retried();
    this.addAfter(key, this.#limiter.when(key, this.#clock.now()));
  }

  /** Resets the backoff of `key` (call after it was processed successfully). */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  /** Failures of `key` counted by the rate limiter since the last `forget`. */
  retries(key: string): number {
    return this.#limiter.retries(key);
  }

  /**
   * The next key to process, waiting until there is one. Resolves `undefined` once the queue is
   * shut down and empty. The caller must call `done(key)` when finished with it.
   */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#handOut(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks `key` as processed; if it was added meanwhile, queues it again. */
  done(key: string): void {
    const startedAt = this.#processing.get(key);
    if (startedAt === undefined) return;
    this.#processing.delete(key);
    this.#observer?.workDuration((this.#clock.now() - startedAt) / 1000);
    if (this.#dirty.has(key)) this.#push(key);
  }

  /** Keys waiting to be handed out. */
  len(): number {
    return this.#queue.length;
  }

  /** Whether `key` is currently handed out. */
  isProcessing(key: string): boolean {
    return this.#processing.has(key);
  }

  /**
   * Stops accepting keys and cancels delayed adds; waiting `get` calls resolve `undefined`.
   * Keys already queued are still handed out so callers can drain.
   */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) this.#clock.clearTimeout(timer);
    this.#delayed.clear();
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #push(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter(this.#handOut(key));
      return;
    }
    this.#queue.push(key);
    this.#observer?.depth(this.#queue.length);
  }

  #handOut(key: string): string {
    const addedAt = this.#dirty.get(key) ?? this.#clock.now();
    this.#dirty.delete(key);
    const now = this.#clock.now();
    this.#processing.set(key, now);
    this.#observer?.depth(this.#queue.length);
    this.#observer?.queueLatency((now - addedAt) / 1000);
    return key;
  }
}
