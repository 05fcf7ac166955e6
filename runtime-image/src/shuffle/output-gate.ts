/**
 * Sending side of one shuffle boundary on one worker: a ChannelWriter per destination worker,
 * with batching and credit-based flow control (as in Flink's credit-based network stack).
 *
 * Records are appended to an open batch per destination; a full batch (batchSize records), a
 * linger timeout, or a control message (barrier, watermark, end) closes it into the send queue.
 * A data batch leaves only against a credit granted by the receiver, which grants one credit per
 * batch it has processed; control messages need no credit but never overtake queued batches, so
 * per-channel order (records, then barrier N, then later records) is kept. When some channel has
 * `maxQueuedBatches` batches waiting, the gate is backpressured and the producing task waits.
 */
import type { SnapshotKind } from '@sluice/api/protocol.ts';
import { RECORD_STRIDE, recordCount, type RecordBatch, type WireMessage } from './frames.ts';

/** Something that delivers messages to one destination (a TCP connection, or the local input gate). */
export interface Link {
  send(message: WireMessage): void;
}

/** Tuning of a gate. */
export interface OutputGateOptions {
  /** Records per batch (default 2048; docs/runtime.md "Shuffle"). */
  batchSize: number;
  /** Max ms a record waits in an open batch (default 5). */
  lingerMs: number;
  /** Queued batches per channel at which the gate reports backpressure (default 4). */
  maxQueuedBatches: number;
}

export const DEFAULT_OUTPUT_OPTIONS: OutputGateOptions = {
  batchSize: 2048,
  lingerMs: 5,
  maxQueuedBatches: 4,
};

/** One (boundary, destination) channel. */
export class ChannelWriter {
  private readonly boundary: number;
  private readonly opts: OutputGateOptions;
  private readonly onDrain: () => void;
  private link: Link | undefined;
  private credits = 0;
  private batch: RecordBatch = [];
  private readonly queue: WireMessage[] = [];
  /** Data batches in `queue`. */
  queuedBatches = 0;
  /** Records sent so far. */
  recordsSent = 0;

  constructor(boundary: number, opts: OutputGateOptions, onDrain: () => void) {
    this.boundary = boundary;
    this.opts = opts;
    this.onDrain = onDrain;
  }

  /**
   * Appends a record to the open batch.
   * @param timestamp event time (ms) or NO_TIMESTAMP
   * @returns true when this opened a new batch
   */
  add(keyGroup: number, key: string, value: unknown, timestamp: number): boolean {
    const batch = this.batch;
    batch.push(keyGroup, key, value, timestamp);
    if (batch.length >= this.opts.batchSize * RECORD_STRIDE) {
      this.flush();
      return false;
    }
    return batch.length === RECORD_STRIDE;
  }

  /** Closes the open batch into the send queue. */
  flush(): void {
    if (this.batch.length === 0) return;
    this.queue.push({ t: 'data', boundary: this.boundary, records: this.batch });
    this.recordsSent += recordCount(this.batch);
    this.queuedBatches++;
    this.batch = [];
    this.pump();
  }

  /** Queues a control message behind everything added before it. */
  control(message: WireMessage): void {
    this.flush();
    this.queue.push(message);
    this.pump();
  }

  /** The receiver granted `n` batch credits. */
  grant(n: number): void {
    this.credits += n;
    this.pump();
  }

  /** The connection to the destination is up. */
  attach(link: Link): void {
    this.link = link;
    this.pump();
  }

  /** Whether the open batch has records. */
  get hasOpenBatch(): boolean {
    return this.batch.length > 0;
  }

  private pump(): void {
    if (!this.link) return;
    const before = this.queuedBatches;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.t === 'data') {
        if (this.credits === 0) break;
        this.credits--;
        this.queuedBatches--;
      }
      this.queue.shift();
      this.link.send(head);
    }
    if (before >= this.opts.maxQueuedBatches && this.queuedBatches < this.opts.maxQueuedBatches)
      this.onDrain();
  }
}

/** All channels of one boundary leaving this worker; the producing task's output. */
export class OutputGate {
  readonly boundary: number;
  readonly writers: ChannelWriter[];
  private readonly opts: OutputGateOptions;
  private lingerTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];

  /**
   * @param boundary index of the receiving stage
   * @param parallelism number of destination workers
   */
  constructor(boundary: number, parallelism: number, opts: Partial<OutputGateOptions> = {}) {
    this.boundary = boundary;
    this.opts = { ...DEFAULT_OUTPUT_OPTIONS, ...opts };
    this.writers = Array.from(
      { length: parallelism },
      () => new ChannelWriter(boundary, this.opts, () => this.drained()),
    );
  }

  /** Sends a record to worker `destination`. @param timestamp event time (ms) or NO_TIMESTAMP */
  emit(destination: number, keyGroup: number, key: string, value: unknown, timestamp: number): void {
    if (this.writers[destination]!.add(keyGroup, key, value, timestamp) && !this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.flush();
      }, this.opts.lingerMs);
    }
  }

  /** Closes every open batch. */
  flush(): void {
    for (const w of this.writers) w.flush();
  }

  /** Sends barrier `id` on every channel, behind all records emitted before. */
  barrier(id: number, kind: SnapshotKind, stop: boolean): void {
    for (const w of this.writers) w.control({ t: 'barrier', boundary: this.boundary, id, kind, stop });
  }

  /** Sends a watermark (ms) on every channel. */
  watermark(watermark: number): void {
    for (const w of this.writers) w.control({ t: 'watermark', boundary: this.boundary, watermark });
  }

  /** Sends end-of-input on every channel. */
  end(): void {
    for (const w of this.writers) w.control({ t: 'end', boundary: this.boundary });
  }

  /** Whether some channel has maxQueuedBatches batches waiting for credit. */
  get backpressured(): boolean {
    for (const w of this.writers) if (w.queuedBatches >= this.opts.maxQueuedBatches) return true;
    return false;
  }

  /** Resolves when the gate is no longer backpressured. */
  whenWritable(): Promise<void> {
    if (!this.backpressured) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Records handed to channels so far. */
  get recordsSent(): number {
    return this.writers.reduce((n, w) => n + w.recordsSent, 0);
  }

  /** Stops the linger timer. */
  close(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  private drained(): void {
    if (this.backpressured) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
