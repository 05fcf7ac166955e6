import pino from 'pino';
import type { CheckpointRequest } from '@sluice/api/protocol.ts';
import type { PreCommitResult, SinkWriter } from '../api/types.ts';
import { decodePayload } from '../checkpoint/snapshot-codec.ts';
import { keyGroupOf } from '../core/keygroups.ts';
import { aggregateOperator } from '../dataflow/keyed-operators.ts';
import type { WireMessage } from '../shuffle/frames.ts';
import { InputGate } from '../shuffle/input-gate.ts';
import { HeapStateBackend } from '../state/heap-state-backend.ts';
import type { TableSnapshot } from '../state/keyed-state-backend.ts';
import { buildChain } from './chain.ts';
import { SnapshotCollector, type SnapshotPart } from './snapshot-collector.ts';
import { StageTask } from './stage-task.ts';
import { sinkOutput } from './stage-output.ts';

const rec = (key: string, value: number): [number, string, number, number] => [
  keyGroupOf(key, 128),
  key,
  value,
  0,
];

/** A stage 1 task that counts per key and writes counts to a recording sink, fed from two channels. */
function setup(ready: () => Promise<void> | undefined = () => undefined) {
  const input = new InputGate(1, 2, 100);
  input.attachSender(0, () => undefined);
  input.attachSender(1, () => undefined);
  const backend = new HeapStateBackend({ start: 0, end: 127 });
  const written: unknown[] = [];
  const preCommits: number[] = [];
  const writer: SinkWriter<unknown> = {
    write: (v) => written.push(v),
    preCommit: (id): PreCommitResult => {
      preCommits.push(id);
      return { state: { txn: id, rows: written.length }, durable: Promise.resolve() };
    },
    commit: () => Promise.resolve(),
    ready,
    close: () => Promise.resolve(),
  };
  const output = sinkOutput(writer);
  const op = aggregateOperator(
    'count',
    { createAccumulator: () => 0, add: (n: number) => n + 1, getResult: (n: number) => n } as never,
    { backend, watermark: () => -Infinity },
  );
  const chain = buildChain([op], output.emit, (wm) => output.watermark(wm));
  const parts: SnapshotPart[] = [];
  const collector = new SnapshotCollector(
    2,
    async (_req, ps) => {
      parts.push(...ps);
    },
    async () => undefined,
    (err) => {
      throw err;
    },
  );
  const task = new StageTask({
    stage: 1,
    input,
    backend,
    chain,
    output,
    sinkUid: 'sink',
    collector,
    log: pino({ level: 'silent' }),
  });
  const send = (channel: number, m: WireMessage) => input.deliver(channel, m);
  const begin = (id: number) => {
    const req: CheckpointRequest = { id, kind: 'checkpoint', path: `p/chk-${id}`, triggeredAt: '' };
    collector.begin(req, {
      stage: 0,
      keyed: new Map(),
      operator: [],
      durable: Promise.resolve(),
      final: false,
    });
  };
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    await collector.idle();
  };
  return { task, send, begin, settle, parts, written, preCommits, backend };
}

function countsIn(part: SnapshotPart): Record<string, number> {
  const out: Record<string, number> = {};
  for (const bytes of part.keyed.values()) {
    for (const [, , , entries] of decodePayload(bytes) as TableSnapshot[])
      for (const [k, v] of entries) out[k] = v as number;
  }
  return out;
}

describe('StageTask', () => {
  it('snapshots exactly the records before the barrier on every channel, then continues', async () => {
    const t = setup();
    const run = t.task.run();
    t.begin(1);
    t.send(0, { t: 'data', boundary: 1, records: [...rec('a', 1), ...rec('b', 1)] });
    t.send(0, { t: 'barrier', boundary: 1, id: 1, kind: 'checkpoint', stop: false });
    // Behind the barrier on channel 0: must not be in checkpoint 1.
    t.send(0, { t: 'data', boundary: 1, records: [...rec('a', 1)] });
    t.send(1, { t: 'data', boundary: 1, records: [...rec('a', 1)] });
    await t.settle();
    expect(t.preCommits).toEqual([]);
    t.send(1, { t: 'barrier', boundary: 1, id: 1, kind: 'checkpoint', stop: false });
    await t.settle();
    expect(t.preCommits).toEqual([1]);
    const stagePart = t.parts.find((p) => p.stage === 1)!;
    expect(countsIn(stagePart)).toEqual({ a: 2, b: 1 });
    expect(stagePart.operator).toEqual([{ uid: 'sink', state: { txn: 1, rows: 3 } }]);
    expect(stagePart.final).toBe(false);
    // The record held back on channel 0 was processed after the snapshot.
    expect(t.written).toEqual([1, 1, 2, 3]);
    t.task.close();
    await run;
  });

  it('marks a checkpoint final only when end-of-data came on every channel before its barrier', async () => {
    const t = setup();
    const run = t.task.run();
    t.begin(1);
    t.send(0, { t: 'end', boundary: 1 });
    t.send(0, { t: 'barrier', boundary: 1, id: 1, kind: 'checkpoint', stop: false });
    t.send(1, { t: 'data', boundary: 1, records: [...rec('x', 1)] });
    t.send(1, { t: 'barrier', boundary: 1, id: 1, kind: 'checkpoint', stop: false });
    t.send(1, { t: 'end', boundary: 1 });
    await t.settle();
    expect(t.parts.find((p) => p.stage === 1)?.final).toBe(false);
    expect(t.task.dataEnded).toBe(true);
    t.begin(2);
    t.send(0, { t: 'barrier', boundary: 1, id: 2, kind: 'checkpoint', stop: false });
    t.send(1, { t: 'barrier', boundary: 1, id: 2, kind: 'checkpoint', stop: false });
    await t.settle();
    const second = t.parts.filter((p) => p.stage === 1)[1]!;
    expect(second.final).toBe(true);
    expect(countsIn(second)).toEqual({ x: 1 });
    t.task.close();
    await run;
  });

  it('advances the watermark to the minimum over channels and to +Infinity after end-of-data', async () => {
    const t = setup();
    const run = t.task.run();
    t.send(0, { t: 'watermark', boundary: 1, watermark: 100 });
    await t.settle();
    expect(t.task.watermark).toBe(-Infinity);
    t.send(1, { t: 'watermark', boundary: 1, watermark: 50 });
    await t.settle();
    expect(t.task.watermark).toBe(50);
    t.send(1, { t: 'end', boundary: 1 });
    await t.settle();
    expect(t.task.watermark).toBe(100);
    t.task.close();
    await run;
  });

  it('counts records in and out, alignment time and checkpointed state per task', async () => {
    const t = setup();
    const run = t.task.run();
    t.begin(1);
    t.send(0, { t: 'data', boundary: 1, records: [...rec('a', 1), ...rec('b', 1)] });
    t.send(1, { t: 'data', boundary: 1, records: [...rec('a', 1)] });
    t.send(0, { t: 'barrier', boundary: 1, id: 1, kind: 'checkpoint', stop: false });
    await t.settle();
    expect(t.task.sample().lastAlignedCheckpoint).toBe(-1);
    await new Promise((r) => setTimeout(r, 40));
    t.send(1, { t: 'barrier', boundary: 1, id: 1, kind: 'checkpoint', stop: false });
    await t.settle();
    const s = t.task.sample();
    expect(s).toMatchObject({
      stage: 1,
      recordsIn: 3,
      recordsOut: 3,
      lastAlignedCheckpoint: 1,
      stateKeys: 2,
    });
    // First barrier → aligned: at least the 40 ms the second channel's barrier was held back.
    expect(s.lastAlignmentMs).toBeGreaterThanOrEqual(39);
    const part = t.parts.find((p) => p.stage === 1)!;
    const bytes = [...part.keyed.values()].reduce((n, b) => n + b.byteLength, 0);
    expect(s.checkpointedStateBytes).toBe(bytes);
    expect(s.busyMs).toBeGreaterThan(0);
    expect(s.backPressuredMs).toBe(0);
    t.task.close();
    await run;
  });

  it('counts the time spent waiting for a backpressured output as back-pressured, not busy', async () => {
    let held = true;
    const t = setup(() =>
      held ? new Promise<void>((r) => setTimeout(() => ((held = false), r()), 60)) : undefined,
    );
    const run = t.task.run();
    t.send(0, { t: 'data', boundary: 1, records: [...rec('a', 1)] });
    await new Promise((r) => setTimeout(r, 100));
    const s = t.task.sample();
    expect(s.backPressuredMs).toBeGreaterThanOrEqual(55);
    expect(s.busyMs).toBeLessThan(55);
    t.task.close();
    await run;
  });
});
