/**
 * Collects the parts of one worker's snapshot: the source task's part when it injects barrier N,
 * and one part per downstream stage when that stage has aligned N. When all parts are in, the
 * snapshot is written and acknowledged (`finish`); finishes run one at a time in id order, so
 * acks never go backwards. An alignment given up at some stage aborts N (`onAbort`).
 */
import type { CheckpointRequest } from '@sluice/api/protocol.ts';
import type { CanonicalPayloadStream } from '../state/keyed-state-backend.ts';
import type { NativeStatePart } from '../state/stage-state.ts';

/** One task's share of snapshot N. */
export interface SnapshotPart {
  /** Stage index (0 = source stage). */
  stage: number;
  /** Key group → msgpack payload (keyed-state-backend.ts canonical format). */
  keyed: Map<number, Uint8Array>;
  /**
   * Canonical payloads produced lazily as the snapshot is written (RocksDB savepoints), in
   * addition to `keyed`; released when the snapshot is dropped.
   */
  keyedStream?: CanonicalPayloadStream;
  /** Non-keyed state by operator uid (source splits, sink transactions). */
  operator: Array<{ uid: string; state: unknown }>;
  /** Resolves when everything the part refers to is durable (sink uploads). */
  durable: Promise<void>;
  /**
   * The task had received end-of-data on every input (the source: had reached its end) before
   * this barrier, so the snapshot covers all of the job's input.
   */
  final: boolean;
  /** An incremental RocksDB checkpoint of the stage: resolves when its new files are uploaded. */
  native?: Promise<NativeStatePart>;
}

export class SnapshotCollector {
  private readonly expected: number;
  private readonly finish: (req: CheckpointRequest, parts: SnapshotPart[]) => Promise<void>;
  private readonly onAbort: (req: CheckpointRequest, reason: string) => Promise<void>;
  private readonly onError: (err: Error) => void;
  private readonly open = new Map<number, { req?: CheckpointRequest; parts: SnapshotPart[] }>();
  private chain: Promise<void> = Promise.resolve();
  private lastFinished = -1;

  /**
   * @param expected parts per snapshot (1 source part + 1 per downstream stage)
   * @param finish writes and acknowledges a complete snapshot
   * @param onAbort reports a snapshot that cannot complete
   * @param onError gets errors thrown by finish/onAbort (they should handle their own)
   */
  constructor(
    expected: number,
    finish: (req: CheckpointRequest, parts: SnapshotPart[]) => Promise<void>,
    onAbort: (req: CheckpointRequest, reason: string) => Promise<void>,
    onError: (err: Error) => void,
  ) {
    this.expected = expected;
    this.finish = finish;
    this.onAbort = onAbort;
    this.onError = onError;
  }

  private run(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err: unknown) => this.onError(err as Error));
  }

  /** The source task injected barrier `req.id` with its part. */
  begin(req: CheckpointRequest, part: SnapshotPart): void {
    const e = this.entry(req.id);
    e.req = req;
    e.parts.push(part);
    this.maybeFinish(req.id);
  }

  /** A downstream stage aligned barrier `id` and captured its part. */
  add(id: number, part: SnapshotPart): void {
    this.entry(id).parts.push(part);
    this.maybeFinish(id);
  }

  /** Alignment of `id` was abandoned somewhere: drop it and report. */
  abort(id: number, reason: string): void {
    const e = this.open.get(id);
    this.open.delete(id);
    for (const p of e?.parts ?? []) p.keyedStream?.release();
    if (e?.req) {
      const req = e.req;
      this.run(() => this.onAbort(req, reason));
    }
  }

  /** Snapshots waiting for parts. */
  get pending(): number {
    return this.open.size;
  }

  /** Resolves when every finish/abort scheduled so far has run. */
  idle(): Promise<void> {
    return this.chain;
  }

  private entry(id: number) {
    let e = this.open.get(id);
    if (!e) this.open.set(id, (e = { parts: [] }));
    return e;
  }

  private maybeFinish(id: number): void {
    const e = this.open.get(id);
    if (!e?.req || e.parts.length < this.expected) return;
    this.open.delete(id);
    // Older snapshots that can no longer complete (their parts will never come).
    for (const [old, o] of this.open) {
      if (old < id && o.req) this.abort(old, `superseded by checkpoint ${id}`);
    }
    const req = e.req;
    this.run(async () => {
      if (req.id <= this.lastFinished) {
        for (const p of e.parts) p.keyedStream?.release();
        return;
      }
      this.lastFinished = req.id;
      await this.finish(req, e.parts);
    });
  }
}
