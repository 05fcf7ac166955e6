import { BarrierAligner } from '../core/barrier-aligner.ts';
import { RECORD_STRIDE, type RecordBatch, type WireMessage } from './frames.ts';
import { InputGate } from './input-gate.ts';
import { OutputGate } from './output-gate.ts';

/** Wires worker `from`'s output gate to an input gate in memory, as the shuffle does over TCP. */
/** The values of a batch's records, in order. */
const values = (batch: RecordBatch): unknown[] => batch.filter((_, i) => i % RECORD_STRIDE === 2);

function connect(out: OutputGate, from: number, to: number, inGate: InputGate): WireMessage[] {
  const sent: WireMessage[] = [];
  out.writers[to]!.attach({
    send: (m) => {
      sent.push(m);
      inGate.deliver(from, m);
    },
  });
  inGate.attachSender(from, (n) => out.writers[to]!.grant(n));
  return sent;
}

describe('output and input gates', () => {
  it('batches records and keeps barriers behind the records emitted before them', () => {
    const out = new OutputGate(1, 1, { batchSize: 3, lingerMs: 1000 });
    const inGate = new InputGate(1, 1, 10);
    const sent = connect(out, 0, 0, inGate);
    for (let i = 0; i < 7; i++) out.emit(0, 0, `k${i}`, i, i);
    out.barrier(5, 'checkpoint', false);
    out.emit(0, 0, 'after', 99, 99);
    out.flush();
    expect(sent.map((m) => (m.t === 'data' ? values(m.records) : m.t))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6],
      'barrier',
      [99],
    ]);
    out.close();
  });

  it('sends data only against credits and reports backpressure until credits return', async () => {
    const out = new OutputGate(1, 1, { batchSize: 1, lingerMs: 1000, maxQueuedBatches: 2 });
    const inGate = new InputGate(1, 1, 2);
    const sent = connect(out, 0, 0, inGate);
    for (let i = 0; i < 5; i++) out.emit(0, 0, 'k', i, 0);
    expect(sent).toHaveLength(2);
    expect(out.backpressured).toBe(true);
    // A control message does not overtake the queued batches.
    out.watermark(10);
    expect(sent).toHaveLength(2);
    let writable = false;
    void out.whenWritable().then(() => (writable = true));
    const first = inGate.poll(() => false)!;
    expect(first.message.t).toBe('data');
    inGate.release(first.channel);
    expect(sent).toHaveLength(3);
    expect(out.backpressured).toBe(true);
    inGate.release(inGate.poll(() => false)!.channel);
    expect(sent).toHaveLength(4);
    await new Promise((r) => setImmediate(r));
    expect(writable).toBe(true);
    expect(out.backpressured).toBe(false);
    while (true) {
      const p = inGate.poll(() => false);
      if (!p) break;
      if (p.message.t === 'data') inGate.release(p.channel);
    }
    expect(sent.map((m) => m.t)).toEqual(['data', 'data', 'data', 'data', 'data', 'watermark']);
    out.close();
  });

  it('lets an aligning task read only unblocked channels and buffers the blocked ones', () => {
    const outs = [0, 1].map(() => new OutputGate(1, 1, { batchSize: 1, lingerMs: 1000 }));
    const inGate = new InputGate(1, 2, 4);
    connect(outs[0]!, 0, 0, inGate);
    connect(outs[1]!, 1, 0, inGate);
    const aligner = new BarrierAligner(2);
    outs[0]!.emit(0, 0, 'a', 'a-before', 0);
    outs[0]!.barrier(1, 'checkpoint', false);
    outs[0]!.emit(0, 0, 'a', 'a-after', 0);
    outs[1]!.emit(0, 0, 'b', 'b-before', 0);
    outs[1]!.emit(0, 0, 'b', 'b-before-2', 0);
    outs[1]!.barrier(1, 'checkpoint', false);
    const processed: string[] = [];
    let alignedAt = -1;
    for (;;) {
      const p = inGate.poll((c) => aligner.isBlocked(c));
      if (!p) break;
      if (p.message.t === 'data') {
        processed.push(String(p.message.records[2]));
        inGate.release(p.channel);
      } else if (p.message.t === 'barrier') {
        const d = aligner.onBarrier(p.channel, p.message.id);
        if (d.aligned !== undefined) alignedAt = processed.length;
      }
    }
    // Everything before the barrier on both channels, then the snapshot, then the rest.
    expect(processed.slice(0, alignedAt).sort()).toEqual(['a-before', 'b-before', 'b-before-2']);
    expect(processed.slice(alignedAt)).toEqual(['a-after']);
    outs.forEach((o) => o.close());
  });

  it('flushes an open batch after the linger time', async () => {
    const out = new OutputGate(1, 1, { batchSize: 100, lingerMs: 5 });
    const inGate = new InputGate(1, 1, 4);
    const sent = connect(out, 0, 0, inGate);
    out.emit(0, 0, 'k', 1, 0);
    expect(sent).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 30));
    expect(sent).toHaveLength(1);
    out.close();
  });
});
