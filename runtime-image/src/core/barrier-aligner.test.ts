import { BarrierAligner } from './barrier-aligner.ts';

describe('BarrierAligner', () => {
  it('aligns immediately with a single channel', () => {
    const a = new BarrierAligner(1);
    expect(a.onBarrier(0, 1)).toEqual({ aligned: 1 });
    expect(a.isBlocked(0)).toBe(false);
  });

  it('blocks channels that delivered the barrier until all have', () => {
    const a = new BarrierAligner(3);
    expect(a.onBarrier(1, 5)).toEqual({});
    expect(a.aligning).toBe(5);
    expect(a.isBlocked(1)).toBe(true);
    expect(a.isBlocked(0)).toBe(false);
    expect(a.onBarrier(0, 5)).toEqual({});
    expect(a.isBlocked(0)).toBe(true);
    expect(a.isBlocked(2)).toBe(false);
    expect(a.onBarrier(2, 5)).toEqual({ aligned: 5 });
    for (const c of [0, 1, 2]) expect(a.isBlocked(c)).toBe(false);
    expect(a.aligning).toBeUndefined();
  });

  it('refuses to read a barrier from a blocked channel', () => {
    const a = new BarrierAligner(2);
    a.onBarrier(0, 1);
    expect(() => a.onBarrier(0, 2)).toThrow(/blocked channel 0/);
  });

  it('aborts a pending alignment when a newer barrier overtakes it', () => {
    const a = new BarrierAligner(3);
    a.onBarrier(0, 1);
    expect(a.onBarrier(1, 2)).toEqual({ aborted: 1 });
    expect(a.isBlocked(0)).toBe(false);
    expect(a.isBlocked(1)).toBe(true);
    // Checkpoint 1 arriving late on channel 0 or 2 is stale now.
    expect(a.onBarrier(2, 1)).toEqual({});
    expect(a.isBlocked(2)).toBe(false);
    expect(a.onBarrier(0, 2)).toEqual({});
    expect(a.onBarrier(2, 2)).toEqual({ aligned: 2 });
  });

  it('reports abort and alignment together on one channel', () => {
    const a = new BarrierAligner(2);
    a.onEndOfInput(1);
    expect(a.onBarrier(0, 3)).toEqual({ aligned: 3 });
    const b = new BarrierAligner(2);
    b.onBarrier(0, 3);
    b.onEndOfInput(1);
    expect(b.onBarrier(0, 3)).toEqual({});
  });

  it('ignores barriers of completed checkpoints', () => {
    const a = new BarrierAligner(2);
    a.onBarrier(0, 4);
    a.onBarrier(1, 4);
    expect(a.onBarrier(0, 4)).toEqual({});
    expect(a.onBarrier(1, 3)).toEqual({});
    expect(a.aligning).toBeUndefined();
  });

  it('treats ended channels as aligned and completes on end-of-input', () => {
    const a = new BarrierAligner(3);
    a.onBarrier(0, 1);
    a.onBarrier(1, 1);
    expect(a.onEndOfInput(2)).toEqual({ aligned: 1 });
    expect(a.onBarrier(0, 2)).toEqual({});
    expect(a.onBarrier(1, 2)).toEqual({ aligned: 2 });
    expect(a.allEnded).toBe(false);
    a.onEndOfInput(0);
    a.onEndOfInput(1);
    expect(a.allEnded).toBe(true);
    expect(() => a.onBarrier(0, 9)).toThrow(/ended channel/);
  });

  it('rejects unknown channels', () => {
    const a = new BarrierAligner(2);
    expect(() => a.onBarrier(2, 1)).toThrow(RangeError);
    expect(() => new BarrierAligner(0)).toThrow(RangeError);
  });
});
