/**
 * A controller: a work queue of `namespace/name` keys drained by a fixed number of concurrent
 * workers that each call `reconcile(request)` — the controller-runtime contract. The reconciler
 * reads the world fresh and returns done or requeue-after, or throws (retried with the queue's
 * per-key exponential backoff under the shared rate limit). A key is never reconciled twice at
 * once (see workqueue.ts), so a reconciler needs no locking per object.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.ts';
import { errField, type Logger } from './logger.ts';
import type { RuntimeMetrics } from './metrics.ts';
import type { WorkQueue } from './workqueue.ts';

/** The object to reconcile. */
export interface ReconcileRequest {
  namespace: string;
  name: string;
}

/** What a reconcile asks for next (errors are thrown instead). */
export type ReconcileResult = { kind: 'done' } | { kind: 'requeue-after'; afterMs: number };

/** Nothing more to do until something changes. */
export const done = (): ReconcileResult => ({ kind: 'done' });
/** Reconcile again after `afterMs` milliseconds even if nothing changes (e.g. to poll a timeout). */
export const requeueAfter = (afterMs: number): ReconcileResult => ({ kind: 'requeue-after', afterMs });

/** Per-call context handed to a reconciler. */
export interface ReconcileContext {
  /** Logger bound to controller, namespace, name and reconcileID. */
  log: Logger;
  /** Random id of this reconcile, also in every log record. */
  reconcileId: string;
  /**
   * Aborts at the reconcile's deadline or when the operator shuts down; I/O that can hang (S3
   * calls, long waits) must honour it.
   */
  signal: AbortSignal;
}

/** Level-triggered business logic of a controller. */
export interface Reconciler {
  reconcile(request: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult>;
}

/** Options of {@link Controller}. */
export interface ControllerOptions {
  /** Controller name (metric label, log field), e.g. `streamjob`. */
  name: string;
  reconciler: Reconciler;
  queue: WorkQueue;
  /** Number of reconciles that may run at once (for different keys). */
  concurrency: number;
  metrics: RuntimeMetrics;
  log: Logger;
  clock: Clock;
  /**
   * Deadline of one reconcile, ms (default 60 s). Past it the reconcile's signal aborts, it
   * counts as failed (retried with backoff) and its worker takes the next key, so one job whose
   * I/O hangs cannot hold the workers every other job needs. Its key is only handed out again
   * once the abandoned reconcile has really ended (never two at once).
   */
  reconcileTimeoutMs?: number;
}

/** Default of {@link ControllerOptions.reconcileTimeoutMs}. */
export const DEFAULT_RECONCILE_TIMEOUT_MS = 60_000;

/** `namespace/name` → request. @throws Error on a key without a slash. */
export function parseKey(key: string): ReconcileRequest {
  const i = key.indexOf('/');
  if (i <= 0) throw new Error(`work queue key ${JSON.stringify(key)} is not namespace/name`);
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** See the module comment. */
export class Controller {
  readonly #o: ControllerOptions;
  readonly #stop = new AbortController();
  #workers: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    if (!(options.concurrency >= 1))
      throw new RangeError(`concurrency must be >= 1 (got ${options.concurrency})`);
    this.#o = options;
  }

  get name(): string {
    return this.#o.name;
  }

  /** Queues a reconcile of `namespace/name`. */
  enqueue(namespace: string, name: string): void {
    this.#o.queue.add(`${namespace}/${name}`);
  }

  /** Starts the workers (idempotent). */
  start(): void {
    if (this.#workers.length > 0) return;
    const { metrics, name, concurrency } = this.#o;
    metrics.maxConcurrentReconciles.set({ controller: name }, concurrency);
    metrics.activeWorkers.set({ controller: name }, 0);
    for (let i = 0; i < concurrency; i++) this.#workers.push(this.#work());
  }

  /**
   * Stops taking keys, lets running reconciles finish for up to `drainTimeoutMs`, then aborts
   * their signal. Resolves when every worker has returned or the timeout passed.
   */
  async stop(drainTimeoutMs: number): Promise<void> {
    this.#o.queue.shutDown();
    const all = Promise.all(this.#workers).then(() => true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), drainTimeoutMs);
    });
    const drained = await Promise.race([all, timeout]);
    clearTimeout(timer);
    this.#stop.abort();
    if (!drained)
      this.#o.log.warn({ controller: this.#o.name, drainTimeoutMs }, 'reconciles still running at shutdown');
  }

  async #work(): Promise<void> {
    const { queue } = this.#o;
    for (;;) {
      // Stop handing out keys once shutdown began, even if some are still queued.
      const key = queue.shuttingDown ? undefined : await queue.get();
      if (key === undefined) return;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        queue.done(key);
      };
      try {
        await this.#process(key, release);
      } catch (err) {
        release();
        throw err;
      }
    }
  }

  /**
   * Reconciles `key`; resolves when the reconcile ended or its deadline passed. `release` is
   * called once the reconcile has really ended (then the key may be handed out again).
   */
  async #process(key: string, release: () => void): Promise<void> {
    const { queue, reconciler, metrics, name: controller, clock } = this.#o;
    let request: ReconcileRequest;
    try {
      request = parseKey(key);
    } catch (err) {
      this.#o.log.error({ controller, key, ...errField(err) }, 'dropping malformed work queue key');
      queue.forget(key);
      release();
      return;
    }
    const reconcileId = randomUUID();
    const log = this.#o.log.child({
      controller,
      namespace: request.namespace,
      name: request.name,
      reconcileID: reconcileId,
    });
    const started = clock.now();
    metrics.activeWorkers.inc({ controller });
    const timeoutMs = this.#o.reconcileTimeoutMs ?? DEFAULT_RECONCILE_TIMEOUT_MS;
    const deadline = new AbortController();
    const timer = clock.setTimeout(
      () => deadline.abort(new Error(`reconcile exceeded its deadline of ${timeoutMs} ms`)),
      timeoutMs,
    );
    const signal = AbortSignal.any([this.#stop.signal, deadline.signal]);
    try {
      const run = reconciler.reconcile(request, { log, reconcileId, signal });
      void run.then(release, release).finally(() => clock.clearTimeout(timer));
      const result = await Promise.race([
        run,
        new Promise<never>((_, reject) => {
          if (deadline.signal.aborted) reject(deadline.signal.reason as Error);
          deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason as Error), {
            once: true,
          });
        }),
      ]);
      // The result says when the key is next due, from everything this reconcile read: a deadline
      // an earlier reconcile asked for (e.g. a snapshot's timeout, for a snapshot that has since
      // completed) or a retry of an earlier failure is obsolete, so it is dropped, not kept as
      // client-go's AddAfter would keep the earliest (docs/operator.md "Architecture").
      queue.cancelAfter(key);
      if (result.kind === 'requeue-after') {
        queue.forget(key);
        queue.addAfter(key, result.afterMs);
        metrics.reconcileTotal.inc({ controller, result: 'requeue_after' });
        log.debug({ requeueAfterMs: result.afterMs }, 'reconciled; requeue scheduled');
      } else {
        queue.forget(key);
        metrics.reconcileTotal.inc({ controller, result: 'success' });
        log.debug({}, 'reconciled');
      }
    } catch (err) {
      metrics.reconcileTotal.inc({ controller, result: 'error' });
      metrics.reconcileErrors.inc({ controller });
      queue.addRateLimited(key);
      log.error({ retries: queue.retries(key), ...errField(err) }, 'reconcile failed; retrying with backoff');
    } finally {
      metrics.activeWorkers.dec({ controller });
      metrics.reconcileTime.observe({ controller }, (clock.now() - started) / 1000);
    }
  }
}
