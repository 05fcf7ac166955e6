/** Composes a stage's operators into direct calls: record in at `head`, out at the stage's exit. */
import type { ChainOperator, Emit } from '../dataflow/operator.ts';

/** A composed chain. */
export interface Chain {
  /** Feeds a record to the first operator. */
  head: Emit;
  /** Advances event time through every operator in order, then the exit. */
  watermark(watermark: number): void;
}

export function buildChain(
  ops: ChainOperator[],
  exit: Emit,
  exitWatermark: (watermark: number) => void,
): Chain {
  const emits: Emit[] = new Array<Emit>(ops.length + 1);
  emits[ops.length] = exit;
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    const next = emits[i + 1]!;
    emits[i] = (v, ts) => op.process(v, ts, next);
  }
  return {
    head: emits[0]!,
    watermark(wm) {
      for (let i = 0; i < ops.length; i++) ops[i]!.onWatermark?.(wm, emits[i + 1]!);
      exitWatermark(wm);
    },
  };
}
