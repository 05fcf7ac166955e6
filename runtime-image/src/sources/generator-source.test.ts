import pino from 'pino';
import type { OperatorContext, SourceReader, SplitState } from '../api/types.ts';
import type { ObjectStore } from '../io/object-store.ts';
import { generatorSource, partitionSize } from './generator-source.ts';

function ctx(subtask: number, parallelism: number): OperatorContext {
  return {
    config: {},
    jobName: 't',
    jobUid: 't',
    subtask,
    parallelism,
    maxParallelism: 128,
    attempt: 0,
    store: undefined as unknown as ObjectStore,
    storeFor: () => undefined as unknown as ObjectStore,
    log: pino({ level: 'silent' }),
  };
}

async function drain<T>(r: SourceReader<T>, max = 7, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  while (out.length < limit) {
    const b = await r.poll(Math.min(max, limit - out.length));
    if (b === 'end') break;
    if (b === 'idle') continue;
    out.push(...b.map((x) => x.value));
  }
  return out;
}

describe('generator source', () => {
  const src = generatorSource({
    count: 103,
    partitions: 4,
    generate: (n) => ({ value: n, timestamp: 1000 + n }),
  });

  it('splits partition sizes to add up to count', () => {
    expect([0, 1, 2, 3].map((k) => partitionSize(103, 4, k))).toEqual([26, 26, 26, 25]);
  });

  it('reads every record exactly once across subtasks', async () => {
    const all: number[] = [];
    for (let i = 0; i < 3; i++) all.push(...(await drain(await src.open(ctx(i, 3), undefined))));
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, n) => n));
  });

  it('resumes from a snapshot taken at parallelism 2 at parallelism 3 without loss or duplicates', async () => {
    const first: number[] = [];
    const states: SplitState[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await src.open(ctx(i, 2), undefined);
      first.push(...(await drain(r, 5, 20 + i * 7)));
      states.push(...r.snapshot());
    }
    const rest: number[] = [];
    for (let i = 0; i < 3; i++) rest.push(...(await drain(await src.open(ctx(i, 3), states))));
    expect([...first, ...rest].sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, n) => n));
  });

  it('tracks the watermark as the slowest unfinished partition', async () => {
    const r = await src.open(ctx(0, 1), undefined);
    expect(r.watermark()).toBe(-Infinity);
    await r.poll(8);
    // Records 0..7 emitted, two per partition: the last of each partition is 4..7.
    expect(r.watermark()).toBe(1000 + 4 - 1);
    await drain(r);
    expect(r.watermark()).toBe(Infinity);
  });

  it('gives a subtask without partitions an infinite watermark and an immediate end', async () => {
    const r = await generatorSource({ count: 10, partitions: 2, generate: (n) => ({ value: n }) }).open(
      ctx(2, 3),
      undefined,
    );
    expect(r.splitCount()).toBe(0);
    expect(await r.poll(10)).toBe('end');
    expect(r.watermark()).toBe(Infinity);
  });
});
