import type { CheckpointRequest } from '@sluice/api/protocol.ts';
import { SnapshotCollector, type SnapshotPart } from './snapshot-collector.ts';

const req = (id: number): CheckpointRequest => ({
  id,
  kind: 'checkpoint',
  path: `p/chk-${id}`,
  triggeredAt: '',
});
const part = (stage: number): SnapshotPart => ({
  stage,
  keyed: new Map(),
  operator: [],
  durable: Promise.resolve(),
  final: false,
});

describe('SnapshotCollector', () => {
  function make() {
    const events: string[] = [];
    const c = new SnapshotCollector(
      3,
      async (r, parts) => {
        events.push(`finish ${r.id} [${parts.map((p) => p.stage).join(',')}]`);
      },
      async (r, why) => {
        events.push(`abort ${r.id}: ${why}`);
      },
      (err) => events.push(`error ${err.message}`),
    );
    return { c, events };
  }

  it('finishes once the source part and every stage part are in', async () => {
    const { c, events } = make();
    c.begin(req(1), part(0));
    c.add(1, part(1));
    await c.idle();
    expect(events).toEqual([]);
    c.add(1, part(2));
    await c.idle();
    expect(events).toEqual(['finish 1 [0,1,2]']);
    expect(c.pending).toBe(0);
  });

  it('reports an aborted snapshot and supersedes older incomplete ones', async () => {
    const { c, events } = make();
    c.begin(req(1), part(0));
    c.begin(req(2), part(0));
    c.add(2, part(1));
    c.abort(1, 'overtaken');
    c.add(2, part(2));
    c.begin(req(3), part(0));
    c.begin(req(4), part(0));
    c.add(4, part(1));
    c.add(4, part(2));
    await c.idle();
    expect(events).toEqual([
      'abort 1: overtaken',
      'finish 2 [0,1,2]',
      'abort 3: superseded by checkpoint 4',
      'finish 4 [0,1,2]',
    ]);
  });

  it('keeps going after a failing finish and reports the error', async () => {
    const events: string[] = [];
    const c = new SnapshotCollector(
      1,
      async (r) => {
        if (r.id === 1) throw new Error('upload failed');
        events.push(`finish ${r.id}`);
      },
      async () => undefined,
      (err) => events.push(`error ${err.message}`),
    );
    c.begin(req(1), part(0));
    c.begin(req(2), part(0));
    await c.idle();
    expect(events).toEqual(['error upload failed', 'finish 2']);
  });
});

describe('SnapshotCollector keyed streams', () => {
  it('releases the keyed streams of a snapshot it drops, not of one it finishes', async () => {
    const released: string[] = [];
    const streamed = (stage: number, id: number): SnapshotPart => ({
      ...part(stage),
      keyedStream: {
        release: () => released.push(`${id}/${stage}`),
        async *[Symbol.asyncIterator]() {},
      },
    });
    const finished: number[] = [];
    const c = new SnapshotCollector(
      3,
      async (r) => {
        finished.push(r.id);
      },
      async () => undefined,
      () => undefined,
    );
    c.begin(req(1), part(0));
    c.add(1, streamed(1, 1));
    c.abort(1, 'alignment given up');
    c.begin(req(2), part(0));
    c.add(2, streamed(1, 2));
    c.add(2, part(2));
    c.add(3, streamed(1, 3));
    c.add(3, part(2));
    c.begin(req(3), part(0));
    await c.idle();
    expect(finished).toEqual([2, 3]);
    expect(released).toEqual(['1/1']);
    // An older snapshot completing after a newer one finished is dropped, its stream released.
    c.begin(req(2), part(0));
    c.add(2, streamed(1, 22));
    c.add(2, part(2));
    await c.idle();
    expect(finished).toEqual([2, 3]);
    expect(released).toEqual(['1/1', '22/1']);
  });
});
