/**
 * The source task (stage 0): polls the source reader, runs the stateless chain, and injects
 * checkpoint barriers. Barrier injection happens between two polls, so the recorded split
 * offsets cover exactly the records emitted before the barrier (Flink's source-side barrier).
 *
 * After a stop barrier (stop-with-savepoint) the task reads nothing more. At the end of a
 * bounded source it sends end-of-data downstream (after a final watermark) and stays alive,
 * idle, answering barriers: the first checkpoint after the end is the job's final one, and its
 * commit publishes the last output.
 */
import type { Logger } from 'pino';
import type { CheckpointRequest } from '@sluice/api/protocol.ts';
import { NO_TIMESTAMP, type SourceReader } from '../api/types.ts';
import { TaskMetrics, type TaskSample } from '../metrics/task-metrics.ts';
import type { Chain } from './chain.ts';
import type { SnapshotCollector } from './snapshot-collector.ts';
import type { StageOutput } from './stage-output.ts';

export interface SourceTaskOptions {
  reader: SourceReader<unknown>;
  sourceUid: string;
  /** uid of the sink when it sits in this stage (a job without keyBy). */
  sinkUid?: string;
  chain: Chain;
  output: StageOutput;
  collector: SnapshotCollector;
  /** Records per poll (default 512). */
  batchSize?: number;
  /** Pause when the source is idle, ms (default 5). */
  idleMs?: number;
  log: Logger;
}

export class SourceTask {
  private readonly o: SourceTaskOptions;
  private readonly barriers: CheckpointRequest[] = [];
  private wake: (() => void) | undefined;
  private stopped = false;
  private closed = false;
  private lastWatermark = -Infinity;
  /** Counters behind /metrics (metrics/task-metrics.ts); bumped once per poll. */
  readonly metrics = new TaskMetrics(0);
  /** The source reported its end. */
  exhausted = false;
  /** A stop barrier was injected; no more records will be read. */
  suspended = false;

  constructor(o: SourceTaskOptions) {
    this.o = o;
  }

  /** Records read from the source. */
  get recordsRead(): number {
    return this.metrics.recordsIn;
  }

  /** The task's counters now (metrics/task-metrics.ts); the source stage has no keyed state. */
  sample(): TaskSample {
    const m = this.metrics;
    return {
      stage: 0,
      recordsIn: m.recordsIn,
      recordsOut: this.o.output.records,
      busyMs: m.busyMs,
      backPressuredMs: m.backPressuredMs,
      lastAlignmentMs: -1,
      lastAlignedCheckpoint: -1,
      checkpointedStateBytes: 0,
      stateKeys: 0,
    };
  }

  /** Queues barrier `req.id`; it is injected before the next poll. */
  injectBarrier(req: CheckpointRequest): void {
    this.barriers.push(req);
    this.interrupt();
  }

  /** Ends the loop. */
  close(): void {
    this.closed = true;
    this.interrupt();
  }

  private interrupt(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private sleep(ms: number | undefined, also?: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done() {
        if (timer) clearTimeout(timer);
        resolve();
      }
      this.wake = done;
      also?.then(done, done);
    });
  }

  /** Runs until closed. @throws the reader's or an operator's error */
  async run(): Promise<void> {
    const { reader, chain, output } = this.o;
    const batch = this.o.batchSize ?? 512;
    const idleMs = this.o.idleMs ?? 5;
    const metrics = this.metrics;
    while (!this.closed) {
      const req = this.barriers.shift();
      if (req) {
        this.snapshotAndForward(req);
        continue;
      }
      if (this.suspended || this.exhausted) {
        await this.sleep(undefined);
        continue;
      }
      const pressure = output.pressure();
      if (pressure) {
        const tp = performance.now();
        await this.sleep(undefined, pressure);
        metrics.backPressuredMs += performance.now() - tp;
        continue;
      }
      // Busy: the poll's synchronous part and the chain, not the wait for an asynchronous poll.
      const t0 = performance.now();
      const polled = reader.poll(batch);
      const t1 = performance.now();
      const r = await polled;
      const t2 = performance.now();
      if (r === 'end') {
        this.exhausted = true;
        this.advanceWatermark();
        output.endOfData();
        output.flush();
        metrics.busyMs += t1 - t0 + (performance.now() - t2);
        this.o.log.info({ records: this.recordsRead }, 'source reached its end');
        continue;
      }
      if (r === 'idle') {
        this.advanceWatermark();
        output.flush();
        metrics.busyMs += t1 - t0 + (performance.now() - t2);
        await this.sleep(idleMs);
        continue;
      }
      for (const rec of r) chain.head(rec.value, rec.timestamp ?? NO_TIMESTAMP);
      metrics.recordsIn += r.length;
      this.advanceWatermark();
      metrics.busyMs += t1 - t0 + (performance.now() - t2);
      // Let timers, sockets and the control endpoint run between batches.
      await new Promise<void>((res) => setImmediate(res));
    }
  }

  private advanceWatermark(): void {
    const wm = this.o.reader.watermark();
    if (wm > this.lastWatermark) {
      this.lastWatermark = wm;
      this.o.chain.watermark(wm);
    }
  }

  private snapshotAndForward(req: CheckpointRequest): void {
    const splits = this.o.reader.snapshot(req.id);
    const operator: Array<{ uid: string; state: unknown }> = [{ uid: this.o.sourceUid, state: splits }];
    // Forwards the barrier, or pre-commits when the sink sits in this stage (a job without keyBy).
    const pre = this.o.output.barrier(req.id, req.kind, req.stop === true);
    if (pre) operator.push({ uid: this.o.sinkUid ?? 'sink', state: pre.state });
    this.o.collector.begin(req, {
      stage: 0,
      keyed: new Map(),
      operator,
      durable: pre?.durable ?? Promise.resolve(),
      final: this.exhausted,
    });
    if (req.stop) {
      this.suspended = true;
      this.o.log.info({ checkpointId: req.id }, 'source suspended by stop-with-savepoint');
    }
  }
}
