/**
 * Receiving side of one shuffle boundary on one worker: a FIFO queue per sending worker.
 * The task polls messages from channels the barrier aligner does not block, round-robin, and
 * returns one credit to the sender for every data batch it has processed (credit-based flow
 * control, see output-gate.ts): a blocked or slow channel stops receiving, others continue.
 */
import { recordCount, type WireMessage } from './frames.ts';

/** A message and the channel (sending worker index) it came from. */
export interface Polled {
  channel: number;
  message: WireMessage;
}

/** Sends credits back to a sender. */
export type CreditSender = (batches: number) => void;

export class InputGate {
  readonly boundary: number;
  readonly channels: number;
  private readonly initialCredits: number;
  private readonly queues: WireMessage[][];
  private readonly creditSenders: Array<CreditSender | undefined>;
  private next = 0;
  private wake: (() => void) | undefined;
  /** Records received so far. */
  recordsReceived = 0;

  /**
   * @param channels number of sending workers
   * @param initialCredits batches each sender may send before its first credit comes back (default 8)
   */
  constructor(boundary: number, channels: number, initialCredits = 8) {
    this.boundary = boundary;
    this.channels = channels;
    this.initialCredits = initialCredits;
    this.queues = Array.from({ length: channels }, () => []);
    this.creditSenders = new Array<CreditSender | undefined>(channels);
  }

  /** Sender `channel` connected; grants it the initial credits. */
  attachSender(channel: number, send: CreditSender): void {
    this.creditSenders[channel] = send;
    send(this.initialCredits);
  }

  /** A message arrived from sender `channel`. */
  deliver(channel: number, message: WireMessage): void {
    if (message.t === 'data') this.recordsReceived += recordCount(message.records);
    this.queues[channel]!.push(message);
    const w = this.wake;
    if (w) {
      this.wake = undefined;
      w();
    }
  }

  /**
   * The next message from a channel that is not blocked, round-robin over channels.
   * @returns undefined when no unblocked channel has a message
   */
  poll(isBlocked: (channel: number) => boolean): Polled | undefined {
    for (let i = 0; i < this.channels; i++) {
      const c = (this.next + i) % this.channels;
      const q = this.queues[c]!;
      if (q.length === 0 || isBlocked(c)) continue;
      this.next = (c + 1) % this.channels;
      return { channel: c, message: q.shift()! };
    }
    return undefined;
  }

  /** Resolves on the next delivery or interrupt. One waiter at a time (the task). */
  available(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** Wakes a task waiting in `available` (e.g. because blocking changed or work arrived elsewhere). */
  interrupt(): void {
    const w = this.wake;
    if (w) {
      this.wake = undefined;
      w();
    }
  }

  /** The data batch polled from `channel` has been processed: return its credit. */
  release(channel: number): void {
    this.creditSenders[channel]?.(1);
  }

  /** Messages queued on `channel`. */
  queued(channel: number): number {
    return this.queues[channel]!.length;
  }
}
