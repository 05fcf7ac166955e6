/**
 * A shared informer of our own on @kubernetes/client-node's `Watch`: list, then watch from the
 * list's resourceVersion, keep an in-memory cache keyed `namespace/name`, and call handlers on
 * add/update/delete. Unlike client-node's `ListWatch` (which stops for good on any watch error
 * except 410 Gone), this one never gives up: a watch that ends cleanly or by client-side
 * inactivity timeout resumes from the last resourceVersion; 410 Gone re-lists at once; any other
 * error re-lists after an exponential backoff. A periodic resync re-delivers every cached object
 * as an update so level-triggered controllers heal drift they were not told about.
 *
 * Cached objects lack `metadata.managedFields` (server-side apply's bookkeeping, which the
 * operator never reads and which can be a third of a pod's size), as with client-go's
 * `TransformStripManagedFields`; options.transform may trim them further (client-go's
 * `SetTransform`), before they are cached and handed to handlers.
 */
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { exponentialBackoff } from './backoff.ts';
import { sleep, type Clock, type TimerHandle } from './clock.ts';
import { apiStatus, isGone } from './errors.ts';
import { errField, type Logger } from './logger.ts';

/** One event of a watch stream. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** A list response: the objects and the collection's resourceVersion. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** A running watch. */
export interface WatchHandle {
  abort(): void;
}

/** How the informer reads the API: a list call and a watch call for one collection. */
export interface ListWatch<T> {
  list(): Promise<ListResult<T>>;
  /**
   * Watches from `resourceVersion`. Resolves once the request is under way; calls `onEvent` per
   * event and `onDone` exactly once when the stream ends (`null` for a clean end).
   */
  watch(
    resourceVersion: string,
    onEvent: (event: WatchEvent<T>) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
}

/** Callbacks of an informer. Exceptions they throw are logged and otherwise ignored. */
export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  /** Also called on resync with `oldObj === newObj`. */
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Options of {@link Informer}. */
export interface InformerOptions<T> {
  /** For logs and metrics, e.g. `streamjobs` or `pods`. */
  name: string;
  listWatch: ListWatch<T>;
  clock: Clock;
  log: Logger;
  /** Re-deliver all cached objects this often (ms); 0 disables resync. */
  resyncPeriodMs: number;
  /** First delay after a failed list or watch, ms (doubles per consecutive failure). */
  initialBackoffMs?: number;
  /** Cap of that delay, ms. */
  maxBackoffMs?: number;
  /** Called after each failure that forced a re-list (for a restarts metric). */
  onRestart?(err: unknown): void;
  /**
   * An index of the cache: the value an object is filed under (e.g. its owning job's
   * `namespace/name`), undefined for none. {@link Informer.byIndex} reads it.
   */
  indexBy?(obj: T): string | undefined;
  /**
   * What is cached of an object fresh from the wire (it may be changed in place), e.g. a pod
   * without the parts no reader uses. Default: the object as it is.
   */
  transform?(obj: T): T;
}

/** A watch that ends cleanly sooner than this (ms) is resumed only after this long. */
const MIN_WATCH_MS = 1000;

/** `namespace/name` (or `name` for cluster-scoped objects). */
export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : (obj.metadata?.name ?? '');
}

/** See the module comment. */
export class Informer<T extends KubernetesObject> {
  readonly #o: Required<Omit<InformerOptions<T>, 'onRestart' | 'indexBy' | 'transform'>> &
    Pick<InformerOptions<T>, 'onRestart' | 'indexBy' | 'transform'>;
  readonly #cache = new Map<string, T>();
  /** Index value → keys of the cached objects filed under it (options.indexBy). */
  readonly #index = new Map<string, Set<string>>();
  readonly #handlers: InformerHandlers<T>[] = [];
  #resourceVersion = '';
  #synced = false;
  #syncWaiters: Array<() => void> = [];
  #stop = new AbortController();
  #watch: WatchHandle | undefined;
  #loop: Promise<void> | undefined;
  #resyncTimer: TimerHandle | undefined;

  constructor(options: InformerOptions<T>) {
    this.#o = { initialBackoffMs: 1000, maxBackoffMs: 30_000, ...options };
  }

  /** Registers handlers; add them before `start` to see the initial list as adds. */
  addHandlers(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
  }

  /** Starts listing and watching in the background (idempotent). */
  start(): void {
    if (this.#loop) return;
    this.#loop = this.#run();
    this.#scheduleResync();
  }

  /** Stops watching and resolves when the background loop has ended. The cache is kept. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#watch?.abort();
    if (this.#resyncTimer !== undefined) this.#o.clock.clearTimeout(this.#resyncTimer);
    for (const w of this.#syncWaiters.splice(0)) w();
    await this.#loop;
  }

  /** Whether the first list has been loaded into the cache. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list is in the cache (or the informer is stopped). */
  waitForSync(): Promise<void> {
    if (this.#synced || this.#stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** A cached object by key (`namespace/name`). */
  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  /** All cached objects. */
  list(): T[] {
    return [...this.#cache.values()];
  }

  /** The cached objects filed under `value` by options.indexBy (none without an index). */
  byIndex(value: string): T[] {
    const keys = this.#index.get(value);
    return keys ? [...keys].map((k) => this.#cache.get(k)!) : [];
  }

  /** The resourceVersion the next watch resumes from ('' means: list first). */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  async #run(): Promise<void> {
    const { clock, log, name } = this.#o;
    let failures = 0; // consecutive failed lists or watches
    while (!this.#stop.signal.aborted) {
      try {
        if (!this.#resourceVersion) {
          await this.#relist();
          failures = 0;
        }
        const startedAt = clock.now();
        const ended = await this.#watchOnce();
        if (this.#stop.signal.aborted) break;
        if (ended === null || isClientTimeout(ended)) {
          failures = 0;
          // A server that ends watches at once must not make us spin.
          if (clock.now() - startedAt < MIN_WATCH_MS) await sleep(clock, MIN_WATCH_MS, this.#stop.signal);
          continue;
        }
        if (isGone(ended)) {
          log.debug({ informer: name }, 'watch resourceVersion expired (410); re-listing');
          this.#resourceVersion = '';
          continue;
        }
        throw ended;
      } catch (err) {
        if (this.#stop.signal.aborted) break;
        const backoff = exponentialBackoff(this.#o.initialBackoffMs, this.#o.maxBackoffMs, failures++);
        const s = apiStatus(err);
        log.warn(
          { informer: name, code: s.code, retryInMs: backoff, ...errField(err) },
          `list/watch of ${name} failed (${s.message}); re-listing after backoff`,
        );
        this.#o.onRestart?.(err);
        this.#resourceVersion = '';
        await sleep(clock, backoff, this.#stop.signal);
      }
    }
  }

  async #relist(): Promise<void> {
    const { items, resourceVersion } = await this.#o.listWatch.list();
    const seen = new Set<string>();
    for (const obj of items.map((o) => this.#prepare(o))) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.#cache.get(key);
      this.#store(key, obj, old);
      if (!old) this.#emit((h) => h.onAdd?.(obj));
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        this.#emit((h) => h.onUpdate?.(old, obj));
      }
    }
    for (const [key, old] of [...this.#cache]) {
      if (!seen.has(key)) {
        this.#remove(key, old);
        this.#emit((h) => h.onDelete?.(old));
      }
    }
    this.#resourceVersion = resourceVersion;
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
  }

  /** Runs one watch; resolves with its end (null = clean) or the error it ended with. */
  #watchOnce(): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      let errorEvent: unknown;
      const onEvent = (event: WatchEvent<T>): void => {
        if (event.type === 'ERROR') {
          // The server sends a Status and then closes the stream; remember why.
          const status = event.object as unknown as { code?: number; message?: string };
          errorEvent = Object.assign(new Error(status.message ?? 'watch error'), { code: status.code });
          return;
        }
        this.#apply(event);
      };
      const onDone = (err: unknown): void => {
        this.#watch = undefined;
        resolve(errorEvent ?? err ?? null);
      };
      this.#o.listWatch.watch(this.#resourceVersion, onEvent, onDone).then(
        (handle) => {
          this.#watch = handle;
          if (this.#stop.signal.aborted) handle.abort();
        },
        (err: unknown) => resolve(err ?? new Error('watch failed to start')),
      );
    });
  }

  /** The object as cached: without managedFields, then options.transform. */
  #prepare(obj: T): T {
    const bare = withoutManagedFields(obj);
    return this.#o.transform ? this.#o.transform(bare) : bare;
  }

  #apply(event: WatchEvent<T>): void {
    const obj = this.#prepare(event.object);
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    const key = objectKey(obj);
    const old = this.#cache.get(key);
    if (event.type === 'DELETED') {
      if (old) this.#remove(key, old);
      this.#emit((h) => h.onDelete?.(old ?? obj));
      return;
    }
    this.#store(key, obj, old);
    if (old) this.#emit((h) => h.onUpdate?.(old, obj));
    else this.#emit((h) => h.onAdd?.(obj));
  }

  #store(key: string, obj: T, old: T | undefined): void {
    if (old) this.#unindex(key, old);
    this.#cache.set(key, obj);
    const value = this.#o.indexBy?.(obj);
    if (value === undefined) return;
    let keys = this.#index.get(value);
    if (!keys) this.#index.set(value, (keys = new Set()));
    keys.add(key);
  }

  #remove(key: string, old: T): void {
    this.#unindex(key, old);
    this.#cache.delete(key);
  }

  #unindex(key: string, obj: T): void {
    const value = this.#o.indexBy?.(obj);
    if (value === undefined) return;
    const keys = this.#index.get(value);
    keys?.delete(key);
    if (keys?.size === 0) this.#index.delete(value);
  }

  #emit(call: (h: InformerHandlers<T>) => void): void {
    for (const h of this.#handlers) {
      try {
        call(h);
      } catch (err) {
        this.#o.log.error({ informer: this.#o.name, ...errField(err) }, 'informer handler threw');
      }
    }
  }

  #scheduleResync(): void {
    const period = this.#o.resyncPeriodMs;
    if (!(period > 0) || this.#stop.signal.aborted) return;
    this.#resyncTimer = this.#o.clock.setTimeout(() => {
      if (this.#synced) {
        for (const obj of this.#cache.values()) this.#emit((h) => h.onUpdate?.(obj, obj));
      }
      this.#scheduleResync();
    }, period);
  }
}

/** `obj` without `metadata.managedFields` (changed in place: objects come fresh from the wire). */
export function withoutManagedFields<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

function isClientTimeout(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'TimeoutError';
}

/** Options of {@link kubeListWatch}. */
export interface KubeListWatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * A {@link ListWatch} for the collection at `path` (e.g. `/api/v1/namespaces/ns/pods` or
 * `/apis/sluice.dev/v1alpha1/streamjobs`), with `list` done by a typed client call.
 * Watches ask for bookmarks so a resume rarely needs a re-list.
 */
export function kubeListWatch<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
  options: KubeListWatchOptions = {},
): ListWatch<T> {
  const watch = new Watch(kc);
  return {
    async list() {
      const res = await list();
      return { items: res.items, resourceVersion: res.metadata?.resourceVersion ?? '' };
    },
    watch(resourceVersion, onEvent, onDone) {
      return watch.watch(
        path,
        {
          resourceVersion,
          allowWatchBookmarks: true,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
        },
        (type: string, object: T) => onEvent({ type: type as WatchEvent<T>['type'], object }),
        onDone,
      );
    },
  };
}
