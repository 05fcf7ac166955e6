/**
 * Barrier alignment for a task with several input channels (Chandy–Lamport as in Flink's
 * aligned checkpoints, cf. Flink's SingleCheckpointBarrierHandler): when barrier N arrives on
 * a channel, that channel is blocked (its later records belong after the snapshot) until N has
 * arrived on every live channel; then the task snapshots and all channels are released.
 *
 * Pure state machine: the input gate asks `isBlocked` before reading a channel and reports
 * barriers and end-of-input; the task acts on the returned decision.
 *
 * Rules:
 * - A barrier newer than the one being aligned aborts the pending alignment (that checkpoint
 *   can no longer complete consistently here) and starts aligning the newer one.
 * - A barrier older than or equal to the last completed/aborted one is stale and ignored.
 * - A channel that ended counts as having delivered every later barrier.
 */

/**
 * What the task must do after a barrier or end-of-input. Both fields may be set at once (a
 * newer barrier aborted a pending alignment and, on a single live channel, completed its own).
 */
export interface AlignmentDecision {
  /** Alignment of this checkpoint id was given up (a newer barrier overtook it); its blocked channels are released. */
  aborted?: number;
  /** Barrier of this id arrived on every live channel: snapshot now, then forward it. Channels are released. */
  aligned?: number;
}

export class BarrierAligner {
  private readonly channels: number;
  private readonly ended = new Set<number>();
  private readonly arrived = new Set<number>();
  private pending: number | undefined;
  private lastDone = -Infinity;

  /** @param channels number of input channels, ≥ 1 */
  constructor(channels: number) {
    if (!Number.isInteger(channels) || channels < 1)
      throw new RangeError(`channels must be ≥ 1, got ${channels}`);
    this.channels = channels;
  }

  /** The checkpoint id being aligned, if any. */
  get aligning(): number | undefined {
    return this.pending;
  }

  /** Whether records of `channel` must not be read now (it already delivered the pending barrier). */
  isBlocked(channel: number): boolean {
    return this.pending !== undefined && this.arrived.has(channel);
  }

  /**
   * Barrier `id` arrived on `channel`.
   * @returns `aligned: id` when this completes the alignment of `id`; `aborted: n` when it overtook pending checkpoint n.
   * @throws Error when `channel` is blocked or ended (the gate must not read it) or out of range.
   */
  onBarrier(channel: number, id: number): AlignmentDecision {
    this.checkChannel(channel);
    if (this.ended.has(channel)) throw new Error(`barrier ${id} on ended channel ${channel}`);
    if (this.isBlocked(channel)) throw new Error(`barrier ${id} read from blocked channel ${channel}`);
    // Stale: an already completed/aborted checkpoint, or older than the one being aligned.
    if (id <= this.lastDone || (this.pending !== undefined && id < this.pending)) return {};
    const decision: AlignmentDecision = {};
    if (this.pending !== undefined && id > this.pending) {
      decision.aborted = this.pending;
      this.lastDone = this.pending;
      this.arrived.clear();
    }
    this.pending = id;
    this.arrived.add(channel);
    const aligned = this.complete();
    if (aligned !== undefined) decision.aligned = aligned;
    return decision;
  }

  /** `channel` will deliver nothing more. May complete a pending alignment. */
  onEndOfInput(channel: number): AlignmentDecision {
    this.checkChannel(channel);
    this.ended.add(channel);
    this.arrived.delete(channel);
    const aligned = this.complete();
    return aligned === undefined ? {} : { aligned };
  }

  /** Whether every channel ended. */
  get allEnded(): boolean {
    return this.ended.size === this.channels;
  }

  private complete(): number | undefined {
    if (this.pending === undefined) return undefined;
    if (this.arrived.size + this.ended.size < this.channels) return undefined;
    const id = this.pending;
    this.lastDone = id;
    this.pending = undefined;
    this.arrived.clear();
    return id;
  }

  private checkChannel(channel: number): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channels) {
      throw new RangeError(`channel ${channel} is outside [0, ${this.channels})`);
    }
  }
}
