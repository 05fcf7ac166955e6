/**
 * Watermark of a task with several input channels: the minimum of the channels' watermarks
 * (Flink's StatusWatermarkValve, without idleness). A channel that ended no longer holds the
 * watermark back. Watermarks are event-time ms; −Infinity means "no progress yet" and
 * +Infinity "no more records will come" (end of input).
 */
export class WatermarkTracker {
  private readonly marks: number[];
  private readonly ended: boolean[];
  private current = -Infinity;

  /** @param channels number of input channels, ≥ 1 */
  constructor(channels: number) {
    if (!Number.isInteger(channels) || channels < 1)
      throw new RangeError(`channels must be ≥ 1, got ${channels}`);
    this.marks = new Array<number>(channels).fill(-Infinity);
    this.ended = new Array<boolean>(channels).fill(false);
  }

  /** The combined watermark (ms). */
  get watermark(): number {
    return this.current;
  }

  /**
   * Channel `channel` reports watermark `wm` (ms); per-channel watermarks never go back.
   * @returns the new combined watermark when it advanced, otherwise undefined
   */
  update(channel: number, wm: number): number | undefined {
    if (wm > this.marks[channel]!) this.marks[channel] = wm;
    return this.recompute();
  }

  /** `channel` ended: it no longer holds the combined watermark back. */
  end(channel: number): number | undefined {
    this.ended[channel] = true;
    return this.recompute();
  }

  private recompute(): number | undefined {
    let min = Infinity;
    for (let i = 0; i < this.marks.length; i++)
      if (!this.ended[i] && this.marks[i]! < min) min = this.marks[i]!;
    if (min > this.current) {
      this.current = min;
      return min;
    }
    return undefined;
  }
}
