import type { KubernetesObject } from '@kubernetes/client-node';
import { FakeClock } from '../../../test/harness/fake-clock.ts';
import { Informer, type ListResult, type ListWatch, type WatchEvent } from './informer.ts';
import { silentLogger } from './logger.ts';

type Obj = KubernetesObject;

function obj(name: string, rv: string): Obj {
  return { metadata: { namespace: 'ns', name, resourceVersion: rv } };
}

interface ActiveWatch {
  rv: string;
  emit(type: WatchEvent<Obj>['type'], o: Obj): void;
  end(err: unknown): void;
  aborted: boolean;
}

/** A ListWatch whose responses the test scripts. */
class ScriptedListWatch implements ListWatch<Obj> {
  lists: Array<ListResult<Obj> | Error> = [];
  listCalls = 0;
  watches: ActiveWatch[] = [];

  async list(): Promise<ListResult<Obj>> {
    this.listCalls++;
    const next = this.lists.shift();
    if (!next) throw new Error('no scripted list');
    if (next instanceof Error) throw next;
    return next;
  }

  async watch(rv: string, onEvent: (e: WatchEvent<Obj>) => void, onDone: (err: unknown) => void) {
    const w: ActiveWatch = {
      rv,
      aborted: false,
      emit: (type, o) => onEvent({ type, object: o }),
      end: (err) => onDone(err),
    };
    this.watches.push(w);
    return {
      abort: () => {
        if (!w.aborted) {
          w.aborted = true;
          onDone(null);
        }
      },
    };
  }

  get current(): ActiveWatch {
    return this.watches[this.watches.length - 1]!;
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function setup(resyncPeriodMs = 0) {
  const clock = new FakeClock();
  const lw = new ScriptedListWatch();
  const restarts: unknown[] = [];
  const informer = new Informer<Obj>({
    name: 'test',
    listWatch: lw,
    clock,
    log: silentLogger,
    resyncPeriodMs,
    initialBackoffMs: 100,
    maxBackoffMs: 400,
    onRestart: (e) => restarts.push(e),
  });
  const events: string[] = [];
  informer.addHandlers({
    onAdd: (o) => events.push(`add ${o.metadata!.name}@${o.metadata!.resourceVersion}`),
    onUpdate: (a, b) =>
      events.push(
        `update ${b.metadata!.name}@${a.metadata!.resourceVersion}->${b.metadata!.resourceVersion}`,
      ),
    onDelete: (o) => events.push(`delete ${o.metadata!.name}`),
  });
  return { clock, lw, informer, events, restarts };
}

describe('Informer', () => {
  it('lists, syncs, then applies watch events from the list resourceVersion', async () => {
    const { lw, informer, events } = setup();
    lw.lists.push({ items: [obj('a', '1')], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await flush();
    expect(informer.hasSynced()).toBe(true);
    expect(lw.current.rv).toBe('10');
    lw.current.emit('MODIFIED', obj('a', '11'));
    lw.current.emit('ADDED', obj('b', '12'));
    lw.current.emit('DELETED', obj('a', '13'));
    lw.current.emit('BOOKMARK', { metadata: { resourceVersion: '20' } });
    expect(events).toEqual(['add a@1', 'update a@1->11', 'add b@12', 'delete a']);
    expect(informer.list().map((o) => o.metadata!.name)).toEqual(['b']);
    expect(informer.resourceVersion).toBe('20');
    await informer.stop();
  });

  it('resumes a cleanly ended watch from the last resourceVersion without re-listing', async () => {
    const { clock, lw, informer } = setup();
    lw.lists.push({ items: [], resourceVersion: '5' });
    informer.start();
    await informer.waitForSync();
    await flush();
    lw.current.emit('ADDED', obj('a', '7'));
    lw.current.end(null);
    await flush();
    clock.advance(1000);
    await flush();
    expect(lw.watches).toHaveLength(2);
    expect(lw.current.rv).toBe('7');
    expect(lw.listCalls).toBe(1);
    await informer.stop();
  });

  it('re-lists at once on 410 Gone and emits deletes for objects that vanished meanwhile', async () => {
    const { lw, informer, events, restarts } = setup();
    lw.lists.push({ items: [obj('a', '1'), obj('b', '2')], resourceVersion: '2' });
    lw.lists.push({ items: [obj('b', '9')], resourceVersion: '9' });
    informer.start();
    await informer.waitForSync();
    await flush();
    lw.current.emit('ERROR', { code: 410, message: 'too old resource version' } as unknown as Obj);
    lw.current.end(null);
    await flush();
    await flush();
    expect(lw.listCalls).toBe(2);
    expect(events).toEqual(['add a@1', 'add b@2', 'update b@2->9', 'delete a']);
    expect(restarts).toHaveLength(0);
    expect(lw.current.rv).toBe('9');
    await informer.stop();
  });

  it('keeps going after errors: backs off exponentially, re-lists, and reports each restart', async () => {
    const { clock, lw, informer, restarts } = setup();
    lw.lists.push(new Error('connection refused'));
    lw.lists.push(new Error('connection refused'));
    lw.lists.push({ items: [obj('a', '1')], resourceVersion: '1' });
    lw.lists.push({ items: [obj('a', '1')], resourceVersion: '3' });
    informer.start();
    await flush();
    expect(restarts).toHaveLength(1);
    expect(informer.hasSynced()).toBe(false);
    clock.advance(99);
    await flush();
    expect(lw.listCalls).toBe(1);
    clock.advance(1);
    await flush();
    expect(lw.listCalls).toBe(2);
    clock.advance(200); // second backoff doubles
    await flush();
    await flush();
    expect(informer.hasSynced()).toBe(true);
    // A watch failing with a non-410 error (what makes client-node's informer stop for good).
    lw.current.end(Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));
    await flush();
    expect(restarts).toHaveLength(3);
    // The successful list reset the backoff: the first delay applies again.
    clock.advance(99);
    await flush();
    expect(lw.listCalls).toBe(3);
    clock.advance(1);
    await flush();
    await flush();
    expect(lw.listCalls).toBe(4);
    expect(lw.current.rv).toBe('3');
    await informer.stop();
  });

  it('re-delivers every cached object as an update on resync', async () => {
    const { clock, lw, informer, events } = setup(60_000);
    lw.lists.push({ items: [obj('a', '1'), obj('b', '2')], resourceVersion: '2' });
    informer.start();
    await informer.waitForSync();
    events.length = 0;
    clock.advance(60_000);
    expect(events).toEqual(['update a@1->1', 'update b@2->2']);
    clock.advance(60_000);
    expect(events).toHaveLength(4);
    await informer.stop();
  });

  it('stops: aborts the watch and resolves', async () => {
    const { lw, informer } = setup();
    lw.lists.push({ items: [], resourceVersion: '1' });
    informer.start();
    await informer.waitForSync();
    await flush();
    await informer.stop();
    expect(lw.current.aborted).toBe(true);
  });

  it('caches and hands to handlers what options.transform keeps, from the list and from the watch', async () => {
    const lw = new ScriptedListWatch();
    const informer = new Informer<Obj>({
      name: 'test',
      listWatch: lw,
      clock: new FakeClock(),
      log: silentLogger,
      resyncPeriodMs: 0,
      transform: (o) => ({ metadata: { ...o.metadata!, labels: { kept: 'yes' } } }),
    });
    const seen: Obj[] = [];
    informer.addHandlers({ onAdd: (o) => seen.push(o), onUpdate: (_, o) => seen.push(o) });
    const fat = (name: string, rv: string) => ({
      ...obj(name, rv),
      metadata: { ...obj(name, rv).metadata, managedFields: [{ manager: 'm' }] },
      spec: { big: 'x'.repeat(100) },
    });
    lw.lists.push({ items: [fat('a', '1')], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await flush();
    lw.current.emit('MODIFIED', fat('a', '11'));
    lw.current.emit('ADDED', fat('b', '12'));
    const trimmed = (name: string, rv: string) => ({
      metadata: { namespace: 'ns', name, resourceVersion: rv, labels: { kept: 'yes' } },
    });
    expect(seen).toEqual([trimmed('a', '1'), trimmed('a', '11'), trimmed('b', '12')]);
    expect(informer.get('ns/a')).toEqual(trimmed('a', '11'));
    expect(informer.list()).toEqual([trimmed('a', '11'), trimmed('b', '12')]);
    await informer.stop();
  });
});
