/**
 * The exit of a stage: either a keyBy shuffle (records go to the worker owning their key
 * group, watermarks and barriers to every worker) or the job's sink (barriers pre-commit).
 */
import type { SnapshotKind } from '@sluice/api/protocol.ts';
import type { PreCommitResult, SinkWriter } from '../api/types.ts';
import { keyGroupOf, ownerOfKeyGroup } from '../core/keygroups.ts';
import type { Emit } from '../dataflow/operator.ts';
import type { OutputGate } from '../shuffle/output-gate.ts';

export interface StageOutput {
  emit: Emit;
  watermark(watermark: number): void;
  /** Barrier `id` passed the stage: forward it (shuffle) or pre-commit (sink; returns its result). */
  barrier(id: number, kind: SnapshotKind, stop: boolean): PreCommitResult | undefined;
  /** A promise when the producer should wait (downstream is backpressured). */
  pressure(): Promise<void> | undefined;
  /** Sends open batches now. */
  flush(): void;
  /** No more records will come from this task (bounded input exhausted): tell every downstream channel. */
  endOfData(): void;
  /** Records emitted so far. */
  readonly records: number;
}

/**
 * Shuffle exit: key = String(selector(value)), key group = keyGroupOf(key, maxParallelism),
 * destination = ownerOfKeyGroup(maxParallelism, parallelism, key group).
 */
export function shuffleOutput(
  gate: OutputGate,
  selector: (value: unknown) => string | number,
  maxParallelism: number,
  parallelism: number,
): StageOutput {
  let records = 0;
  return {
    emit(value, ts) {
      const key = String(selector(value));
      const kg = keyGroupOf(key, maxParallelism);
      records++;
      gate.emit(ownerOfKeyGroup(maxParallelism, parallelism, kg), kg, key, value, ts);
    },
    watermark: (wm) => gate.watermark(wm),
    barrier(id, kind, stop) {
      gate.barrier(id, kind, stop);
      return undefined;
    },
    pressure: () => (gate.backpressured ? gate.whenWritable() : undefined),
    flush: () => gate.flush(),
    endOfData: () => gate.end(),
    get records() {
      return records;
    },
  };
}

/** Sink exit. */
export function sinkOutput(writer: SinkWriter<unknown>): StageOutput {
  let records = 0;
  return {
    emit(value, ts) {
      records++;
      writer.write(value, ts);
    },
    watermark: () => undefined,
    barrier: (id) => writer.preCommit(id),
    pressure: () => writer.ready(),
    flush: () => undefined,
    endOfData: () => undefined,
    get records() {
      return records;
    },
  };
}
