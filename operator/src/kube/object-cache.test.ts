import type { KubernetesObject } from '@kubernetes/client-node';
import { FakeClock } from '../../../test/harness/fake-clock.ts';
import { Informer, type ListWatch, type WatchEvent } from './informer.ts';
import { silentLogger } from './logger.ts';
import { ObjectCache } from './object-cache.ts';

type Obj = KubernetesObject & { note?: string };

function obj(name: string, rv: string, job = 'j1', note?: string): Obj {
  return {
    metadata: { namespace: 'ns', name, resourceVersion: rv, labels: { job } },
    ...(note ? { note } : {}),
  };
}

const indexOf = (o: Obj) => (o.metadata?.labels?.job ? `ns/${o.metadata.labels.job}` : undefined);

/** An informer over one list (`items` at revision `rv`) whose watch the test drives through `emit`. */
async function startedInformer(items: Obj[], rv: string) {
  let emit: (type: WatchEvent<Obj>['type'], o: Obj) => void = () => {};
  const listWatch: ListWatch<Obj> = {
    list: async () => ({ items, resourceVersion: rv }),
    watch: async (_rv, onEvent, onDone) => {
      emit = (type, object) => onEvent({ type, object });
      return { abort: () => onDone(null) };
    },
  };
  const informer = new Informer<Obj>({
    name: 'test',
    listWatch,
    clock: new FakeClock(),
    log: silentLogger,
    resyncPeriodMs: 0,
    indexBy: indexOf,
  });
  informer.start();
  await informer.waitForSync();
  await new Promise((r) => setImmediate(r));
  return { informer, emit: (type: WatchEvent<Obj>['type'], o: Obj) => emit(type, o) };
}

describe('Informer index', () => {
  it('files objects under their index value and follows updates and deletes', async () => {
    const { informer, emit } = await startedInformer([obj('a', '1'), obj('b', '2', 'j2')], '2');
    expect(informer.byIndex('ns/j1').map((o) => o.metadata!.name)).toEqual(['a']);
    emit('MODIFIED', obj('b', '3', 'j1'));
    expect(informer.byIndex('ns/j1').map((o) => o.metadata!.name)).toEqual(['a', 'b']);
    expect(informer.byIndex('ns/j2')).toEqual([]);
    emit('DELETED', obj('a', '4'));
    expect(informer.byIndex('ns/j1').map((o) => o.metadata!.name)).toEqual(['b']);
    await informer.stop();
  });
});

describe('ObjectCache', () => {
  it('returns an own write until the informer has seen it, then the informer copy', async () => {
    const { informer, emit } = await startedInformer([obj('a', '5')], '5');
    const cache = new ObjectCache<Obj>(() => informer, indexOf);
    cache.wrote(obj('a', '7', 'j1', 'written'));
    expect(cache.get('ns', 'a')?.note).toBe('written');
    emit('MODIFIED', obj('a', '6', 'j1', 'someone else, before our write'));
    expect(cache.get('ns', 'a')?.note).toBe('written');
    emit('MODIFIED', obj('a', '7', 'j1', 'watched'));
    expect(cache.get('ns', 'a')?.note).toBe('watched');
    expect(cache.pendingWrites).toBe(0);
    await informer.stop();
  });

  it('lists created objects the informer has not delivered yet', async () => {
    const { informer, emit } = await startedInformer([obj('a', '5')], '5');
    const cache = new ObjectCache<Obj>(() => informer, indexOf);
    cache.wrote(obj('b', '8'));
    cache.wrote(obj('c', '9', 'other'));
    expect(
      cache
        .list('ns', 'ns/j1')
        .map((o) => o.metadata!.name)
        .sort(),
    ).toEqual(['a', 'b']);
    emit('ADDED', obj('b', '8'));
    expect(cache.list('ns', 'ns/j1').length).toBe(2);
    expect(cache.pendingWrites).toBe(1); // c: the informer's revision (8) is behind its write (9)
    await informer.stop();
  });

  it('forgets a write once the informer is past it, so an object deleted since is gone', async () => {
    const { informer, emit } = await startedInformer([obj('a', '5')], '5');
    const cache = new ObjectCache<Obj>(() => informer, indexOf);
    cache.wrote(obj('a', '6'));
    emit('DELETED', obj('a', '9'));
    expect(cache.get('ns', 'a')).toBeUndefined();
    expect(cache.list('ns', 'ns/j1')).toEqual([]);
    await informer.stop();
  });

  it('keeps the newer of two writes and compares revisions as integers', async () => {
    const { informer } = await startedInformer([obj('a', '95')], '95');
    const cache = new ObjectCache<Obj>(() => informer, indexOf);
    cache.wrote(obj('a', '100', 'j1', 'newer'));
    cache.wrote(obj('a', '99', 'j1', 'older answer arriving late'));
    expect(cache.get('ns', 'a')?.note).toBe('newer');
    await informer.stop();
  });

  it('never lets a write with a non-integer resourceVersion win over the informer', async () => {
    const { informer } = await startedInformer([obj('a', '5', 'j1', 'cached')], '5');
    const cache = new ObjectCache<Obj>(() => informer, indexOf);
    cache.wrote(obj('a', 'x7', 'j1', 'written'));
    expect(cache.get('ns', 'a')?.note).toBe('cached');
    await informer.stop();
  });

  it('returns copies: changing one leaves the cache as it was', async () => {
    const { informer } = await startedInformer([obj('a', '5')], '5');
    const cache = new ObjectCache<Obj>(() => informer, indexOf);
    cache.get('ns', 'a')!.metadata!.labels!.job = 'changed';
    cache.list('ns', 'ns/j1')[0]!.note = 'changed';
    expect(cache.get('ns', 'a')).toEqual(obj('a', '5'));
    await informer.stop();
  });

  it('keeps its own copy of a write and drops managedFields, as the informer does', async () => {
    const managed = { ...obj('a', '5'), metadata: { ...obj('a', '5').metadata, managedFields: [{}] } };
    const { informer } = await startedInformer([managed], '5');
    const cache = new ObjectCache<Obj>(() => informer, indexOf);
    expect(cache.get('ns', 'a')!.metadata!.managedFields).toBeUndefined();
    const written = {
      ...obj('a', '6', 'j1', 'written'),
      metadata: { ...obj('a', '6').metadata, managedFields: [{}] },
    };
    cache.wrote(written);
    written.note = 'changed by the caller afterwards';
    expect(cache.get('ns', 'a')).toEqual(obj('a', '6', 'j1', 'written'));
    expect(written.metadata.managedFields).toEqual([{}]);
    await informer.stop();
  });

  it('finds nothing in a namespace no informer covers', () => {
    const cache = new ObjectCache<Obj>(() => undefined, indexOf);
    cache.wrote(obj('a', '5'));
    expect(cache.get('ns', 'a')).toBeUndefined();
  });
});
