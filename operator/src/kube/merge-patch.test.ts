import { applyMergePatch, mergePatch } from './merge-patch.ts';

describe('mergePatch', () => {
  it('is undefined for equal documents', () => {
    expect(mergePatch({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBeUndefined();
  });

  it('diffs objects by key, nulls removed keys and replaces arrays whole', () => {
    const from = {
      status: {
        phase: 'Starting',
        restoredFrom: { path: 'x' },
        conditions: [{ type: 'Ready', status: 'False' }],
        keep: 1,
      },
    };
    const to = {
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        keep: 1,
        workers: { ready: 2 },
      },
    };
    const patch = mergePatch(from, to);
    expect(patch).toEqual({
      status: {
        phase: 'Running',
        restoredFrom: null,
        conditions: [{ type: 'Ready', status: 'True' }],
        workers: { ready: 2 },
      },
    });
    expect(applyMergePatch(from, patch!)).toEqual(to);
  });

  it('ignores the order of keys, as the API server sorts them (a condition read back is unchanged)', () => {
    const computed = {
      conditions: [{ type: 'Ready', status: 'True', reason: 'WorkersReady' }],
      phase: 'Running',
    };
    const readBack = {
      phase: 'Running',
      conditions: [{ reason: 'WorkersReady', status: 'True', type: 'Ready' }],
    };
    expect(mergePatch(readBack, computed)).toBeUndefined();
    expect(
      mergePatch(readBack, { ...computed, conditions: [{ ...computed.conditions[0], status: 'False' }] }),
    ).toEqual({
      conditions: [{ type: 'Ready', status: 'False', reason: 'WorkersReady' }],
    });
  });

  it('treats undefined values as absent', () => {
    expect(mergePatch({ a: 1, b: undefined }, { a: 1, c: undefined })).toBeUndefined();
    expect(mergePatch({ a: 1 }, { a: undefined })).toEqual({ a: null });
  });

  it('round-trips random documents', () => {
    const docs = [
      [{ x: { y: 1, z: [1] } }, { x: { y: 2 } }],
      [{}, { a: { b: { c: 'd' } } }],
      [{ a: { b: 1 } }, { a: 5 }],
      [{ a: 5 }, { a: { b: 1 } }],
    ] as const;
    for (const [from, to] of docs) {
      const patch = mergePatch(from as Record<string, unknown>, to as Record<string, unknown>) ?? {};
      expect(applyMergePatch(from as Record<string, unknown>, patch)).toEqual(to);
    }
  });
});
