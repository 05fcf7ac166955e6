/**
 * A downstream stage task (stage k ≥ 1): reads the records shuffled to this worker from every
 * worker's stage k−1, aligns checkpoint barriers across those inputs (barrier-aligner.ts),
 * combines watermarks (watermarks.ts), and runs the keyed chain with the key context set per
 * record. At alignment it captures the stage's keyed state (synchronously, so later records do
 * not leak into the snapshot), pre-commits the sink if it ends the job, and forwards the barrier.
 *
 * End-of-data (`end`, sent when a bounded source is exhausted) ends a channel's records and
 * watermarks but not its barriers: checkpoints keep flowing so that the job's final output can
 * be committed. Once every input channel ended, the stage forwards end-of-data itself.
 */
import type { Logger } from 'pino';
import type { SnapshotKind } from '@sluice/api/protocol.ts';
import { BarrierAligner } from '../core/barrier-aligner.ts';
import { WatermarkTracker } from '../core/watermarks.ts';
import { TaskMetrics, type TaskSample } from '../metrics/task-metrics.ts';
import { RECORD_STRIDE, recordCount } from '../shuffle/frames.ts';
import type { InputGate } from '../shuffle/input-gate.ts';
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import type { StateCapture } from '../state/stage-state.ts';
import type { Chain } from './chain.ts';
import type { SnapshotCollector } from './snapshot-collector.ts';
import type { StageOutput } from './stage-output.ts';

export interface StageTaskOptions {
  stage: number;
  input: InputGate;
  backend: KeyedStateBackend;
  /**
   * Captures the stage's state for snapshot `id` at alignment (state/stage-state.ts); default:
   * the backend's canonical snapshot.
   */
  capture?: (id: number, kind: SnapshotKind) => StateCapture;
  chain: Chain;
  output: StageOutput;
  /** uid of the sink when this stage ends the job. */
  sinkUid?: string;
  collector: SnapshotCollector;
  log: Logger;
}

export class StageTask {
  private readonly o: StageTaskOptions;
  private readonly aligner: BarrierAligner;
  private readonly watermarks: WatermarkTracker;
  private closed = false;
  private barrierMeta: { id: number; kind: SnapshotKind; stop: boolean } | undefined;
  private readonly endedChannels = new Set<number>();
  /** Every input channel sent end-of-data. */
  dataEnded = false;
  /** Counters behind /metrics (metrics/task-metrics.ts); bumped once per batch. */
  readonly metrics: TaskMetrics;
  /** When the first barrier of the checkpoint being aligned arrived (performance.now() ms). */
  private alignmentStart = 0;

  constructor(o: StageTaskOptions) {
    this.o = o;
    this.aligner = new BarrierAligner(o.input.channels);
    this.watermarks = new WatermarkTracker(o.input.channels);
    this.metrics = new TaskMetrics(o.stage);
  }

  /** Records processed. */
  get recordsIn(): number {
    return this.metrics.recordsIn;
  }

  /** The task's counters now (metrics/task-metrics.ts). */
  sample(): TaskSample {
    const m = this.metrics;
    return {
      stage: m.stage,
      recordsIn: m.recordsIn,
      recordsOut: this.o.output.records,
      busyMs: m.busyMs,
      backPressuredMs: m.backPressuredMs,
      lastAlignmentMs: m.lastAlignmentMs,
      lastAlignedCheckpoint: m.lastAlignedCheckpoint,
      checkpointedStateBytes: m.checkpointedStateBytes,
      stateKeys: this.o.backend.entryCount(),
    };
  }

  /** Current watermark (ms). */
  get watermark(): number {
    return this.watermarks.watermark;
  }

  /** Captures the stage's state for checkpoint `id`, forwards the barrier / pre-commits the sink. */
  private aligned(id: number): void {
    const { backend, output, collector } = this.o;
    const meta =
      this.barrierMeta?.id === id ? this.barrierMeta : { id, kind: 'checkpoint' as const, stop: false };
    const { keyed, native, keyedStream } = this.o.capture?.(id, meta.kind) ?? { keyed: backend.snapshot() };
    let bytes = 0;
    for (const payload of keyed.values()) bytes += payload.byteLength;
    this.metrics.checkpointedStateBytes = bytes;
    const pre = output.barrier(id, meta.kind, meta.stop);
    const operator = pre ? [{ uid: this.o.sinkUid ?? 'sink', state: pre.state }] : [];
    collector.add(id, {
      stage: this.o.stage,
      keyed,
      operator,
      durable: pre?.durable ?? Promise.resolve(),
      final: this.dataEnded,
      ...(native ? { native } : {}),
      ...(keyedStream ? { keyedStream } : {}),
    });
  }

  close(): void {
    this.closed = true;
    this.o.input.interrupt();
  }

  /** Runs until closed. @throws an operator's or the state backend's error */
  async run(): Promise<void> {
    const { input, backend, chain, output, collector } = this.o;
    const blocked = (c: number) => this.aligner.isBlocked(c);
    const metrics = this.metrics;
    let batches = 0;
    while (!this.closed) {
      const t0 = performance.now();
      const polled = input.poll(blocked);
      if (!polled) {
        output.flush();
        metrics.busyMs += performance.now() - t0;
        await input.available();
        continue;
      }
      const { channel, message: m } = polled;
      let pressure: Promise<void> | undefined;
      switch (m.t) {
        case 'data': {
          const head = chain.head;
          const r = m.records;
          for (let i = 0; i < r.length; i += RECORD_STRIDE) {
            backend.setCurrentKey(r[i + 1] as string, r[i] as number);
            head(r[i + 2], r[i + 3] as number);
          }
          metrics.recordsIn += recordCount(r);
          input.release(channel);
          pressure = output.pressure();
          break;
        }
        case 'barrier': {
          const before = this.aligner.aligning;
          const d = this.aligner.onBarrier(channel, m.id);
          if (d.aborted !== undefined) {
            this.o.log.warn(
              { checkpointId: d.aborted, by: m.id, stage: this.o.stage },
              'checkpoint alignment abandoned',
            );
            collector.abort(d.aborted, `barrier ${m.id} overtook it at stage ${this.o.stage}`);
          }
          this.barrierMeta = { id: m.id, kind: m.kind, stop: m.stop };
          if (before !== m.id && (this.aligner.aligning === m.id || d.aligned === m.id)) {
            this.alignmentStart = t0;
          }
          if (d.aligned !== undefined) {
            // Flink's checkpointAlignmentTime: first barrier of the checkpoint → aligned.
            metrics.lastAlignmentMs = performance.now() - this.alignmentStart;
            metrics.lastAlignedCheckpoint = d.aligned;
            this.aligned(d.aligned);
          }
          break;
        }
        case 'watermark': {
          const wm = this.watermarks.update(channel, m.watermark);
          if (wm !== undefined) chain.watermark(wm);
          break;
        }
        case 'end': {
          this.endedChannels.add(channel);
          const wm = this.watermarks.end(channel);
          if (wm !== undefined) chain.watermark(wm);
          if (!this.dataEnded && this.endedChannels.size === input.channels) {
            this.dataEnded = true;
            output.endOfData();
            output.flush();
          }
          break;
        }
        default:
          break;
      }
      metrics.busyMs += performance.now() - t0;
      if (pressure) {
        const t1 = performance.now();
        await pressure;
        metrics.backPressuredMs += performance.now() - t1;
      }
      if (m.t === 'data' && ++batches % 4 === 0) await new Promise<void>((res) => setImmediate(res));
    }
  }
}
