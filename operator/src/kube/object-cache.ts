/**
 * Reads from informer caches that see the operator's own writes at once ("read your writes";
 * docs/operator.md "Reads: informer caches"). An informer learns of a write only when its watch
 * event arrives, so a reconcile right after a status write or a pod create would otherwise read
 * the object as it was before: it would write again on a stale resourceVersion (409) or create a
 * pod twice. Every object the operator writes is therefore recorded here with the API server's
 * answer, and read in place of the cached copy until the informer has seen that write or a later
 * one. client-go's `MutationCache` does the same for the same reason.
 *
 * resourceVersions are compared as integers: the API server's are etcd revisions (one counter
 * for every object of the cluster). One that is not an integer never wins over the informer.
 *
 * Objects are returned as deep copies: callers may change them without touching the cache.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey, withoutManagedFields, type Informer } from './informer.ts';

/** The informer whose scope holds `namespace` (one per watched namespace, or one cluster-wide). */
export type InformerFor<T extends KubernetesObject> = (namespace: string) => Informer<T> | undefined;

/** Drop recorded writes the informers have caught up with after this many new records. */
const SWEEP_EVERY = 256;

/** See the module comment. */
export class ObjectCache<T extends KubernetesObject> {
  readonly #informerFor: InformerFor<T>;
  readonly #indexOf: (obj: T) => string | undefined;
  /** Key → the object as the operator last wrote it (the API server's answer). */
  readonly #written = new Map<string, T>();
  #sinceSweep = 0;

  /**
   * @param informerFor the informer of a namespace; objects of a namespace no informer covers
   *   are never found
   * @param indexOf the value `Informer.byIndex` files an object under, for {@link list}
   */
  constructor(informerFor: InformerFor<T>, indexOf: (obj: T) => string | undefined = () => undefined) {
    this.#informerFor = informerFor;
    this.#indexOf = indexOf;
  }

  /** The object `namespace/name` as last written or watched, or undefined when there is none. */
  get(namespace: string, name: string): T | undefined {
    const key = `${namespace}/${name}`;
    const informer = this.#informerFor(namespace);
    if (!informer) return undefined;
    const newest = this.#newest(key, informer, informer.get(key));
    return newest && structuredClone(newest);
  }

  /** The objects of `namespace` filed under `index` (the informer's indexBy), newest versions. */
  list(namespace: string, index: string): T[] {
    const informer = this.#informerFor(namespace);
    if (!informer) return [];
    const byKey = new Map(informer.byIndex(index).map((o) => [objectKey(o), o] as const));
    for (const [key, obj] of this.#written) {
      if (obj.metadata?.namespace === namespace && this.#indexOf(obj) === index && !byKey.has(key)) {
        byKey.set(key, obj);
      }
    }
    const out: T[] = [];
    for (const key of byKey.keys()) {
      const newest = this.#newest(key, informer, informer.get(key));
      if (newest) out.push(structuredClone(newest));
    }
    return out;
  }

  /** Records an object as the API server returned it from a create, update, patch or delete. */
  wrote(obj: T): void {
    const key = objectKey(obj);
    const rv = revision(obj);
    if (rv === undefined) return;
    const prev = this.#written.get(key);
    const prevRv = prev && revision(prev);
    if (prevRv !== undefined && prevRv > rv) return;
    // A copy: the caller goes on using (and may change) the object it passed.
    this.#written.set(key, withoutManagedFields(structuredClone(obj)));
    if (++this.#sinceSweep >= SWEEP_EVERY) this.#sweep();
  }

  /** Number of writes held because an informer has not seen them yet (for tests and metrics). */
  get pendingWrites(): number {
    return this.#written.size;
  }

  /** The recorded write of `key` while the informer is behind it; else the cached object. */
  #newest(key: string, informer: Informer<T>, cached: T | undefined): T | undefined {
    const written = this.#written.get(key);
    if (!written) return cached;
    if (this.#caughtUp(written, informer, cached)) {
      this.#written.delete(key);
      return cached;
    }
    return written;
  }

  /**
   * Whether the informer has seen `written` or something later: its copy is as new, or its watch
   * is past that revision (then a missing copy means the object was deleted since).
   */
  #caughtUp(written: T, informer: Informer<T>, cached: T | undefined): boolean {
    const rv = revision(written);
    if (rv === undefined) return true;
    const cachedRv = cached && revision(cached);
    if (cached && (cachedRv === undefined || cachedRv >= rv)) return true;
    const seen = parseRevision(informer.resourceVersion);
    return seen !== undefined && seen >= rv;
  }

  #sweep(): void {
    this.#sinceSweep = 0;
    for (const [key, written] of this.#written) {
      const informer = this.#informerFor(written.metadata?.namespace ?? '');
      if (!informer || this.#caughtUp(written, informer, informer.get(key))) this.#written.delete(key);
    }
  }
}

function revision(obj: KubernetesObject): bigint | undefined {
  return parseRevision(obj.metadata?.resourceVersion);
}

function parseRevision(rv: string | undefined): bigint | undefined {
  return rv && /^\d+$/.test(rv) ? BigInt(rv) : undefined;
}
