/**
 * Source over the objects under an S3 prefix, as text lines or JSON lines. Each object is a
 * split, read by subtask murmur3(key) mod parallelism (split-assignment.ts); its state is the
 * byte position after the last line emitted, so a restore resumes mid-object with a ranged GET.
 *
 * The prefix is listed at open and, with `discoveryIntervalMs`, again periodically (new objects
 * are picked up; the source then never ends). Objects are read one at a time in key order.
 * Lines end with LF (a trailing CR is dropped); empty lines are skipped but counted in the
 * position. A final line without LF is emitted at the end of the object.
 *
 * Event time: with `timestampField` (JSON lines), a record's timestamp is that field (ms number
 * or RFC 3339 string), and the watermark is the smallest `max timestamp − maxOutOfOrdernessMs − 1`
 * over unfinished splits (−Infinity for splits not started). Without it records have no event
 * time and the watermark jumps to +Infinity when all splits are finished.
 */
import type { Readable } from 'node:stream';
import { RateLimiter } from '../core/rate-limiter.ts';
import { ObjectStoreError, type ObjectStore } from '../io/object-store.ts';
import {
  DEFAULT_STORAGE_RETRY_MS,
  isTransientStorageError,
  StorageRetryError,
  storageRetryDelayMs,
} from '../io/storage-retry.ts';
import {
  NO_TIMESTAMP,
  type OperatorContext,
  type Source,
  type SourceReader,
  type SourceRecord,
  type SplitState,
} from '../api/types.ts';
import { ownerOfNamedSplit } from './split-assignment.ts';

/** Options of an S3 source. */
export interface S3SourceOptions {
  /** Bucket (default: the job's storage bucket). */
  bucket?: string;
  /** Key prefix, e.g. `corpus/`. */
  prefix: string;
  /** `text`: each line is a string record; `jsonl`: each line is parsed as JSON. */
  format: 'text' | 'jsonl';
  /** JSON lines only: field holding the event time (ms number or RFC 3339 string). */
  timestampField?: string;
  /** Bound on out-of-orderness of event times within an object, ms (default 0). */
  maxOutOfOrdernessMs?: number;
  /** Max records/s of each subtask (default unlimited). */
  rate?: number;
  /** Re-list the prefix every this many ms (default 0: list once; the source ends after the last object). */
  discoveryIntervalMs?: number;
}

/** State of one object. */
export interface S3Split extends SplitState {
  /** Byte position after the last emitted line. */
  position: number;
  done: boolean;
  /** Largest event time seen (ms), when timestamps are used. */
  maxTs: number;
}

/** A JSON line could not be parsed; names the object and byte position. */
export class S3SourceError extends Error {
  override name = 'S3SourceError';
}

const LF = 10;

/** Reads lines of one object from a byte position, tracking the position of the last line taken. */
class ObjectLines {
  readonly split: S3Split;
  private readonly store: ObjectStore;
  private stream: Readable | undefined;
  private iter: AsyncIterator<Buffer> | undefined;
  private carry: Buffer = Buffer.alloc(0);
  /** Lines ready with their byte length including LF. */
  private ready: Array<[string, number]> = [];
  private eof = false;
  /** Failed reads in a row, and when the first of them failed (epoch ms). */
  private retries = 0;
  private failingSince: number | undefined;

  constructor(store: ObjectStore, split: S3Split) {
    this.store = store;
    this.split = split;
  }

  /** Up to `max` lines (fewer at the end of the object); empty array when the object is done. */
  async take(max: number): Promise<Array<[string, number]>> {
    while (this.ready.length < max && !this.eof) await this.fill();
    const out = this.ready.splice(0, max);
    return out;
  }

  /** Advances the committed position past lines handed out. */
  advance(bytes: number): void {
    this.split.position += bytes;
  }

  get exhausted(): boolean {
    return this.eof && this.ready.length === 0;
  }

  private readPosition(): number {
    // Bytes handed out are committed by advance(); bytes in `ready` and `carry` are not yet.
    let pending = this.carry.length;
    for (const [, n] of this.ready) pending += n;
    return this.split.position + pending;
  }

  private async fill(): Promise<void> {
    if (!this.iter) {
      this.stream = await this.store.stream(this.split.id, this.readPosition());
      this.iter = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    }
    let r: IteratorResult<Buffer>;
    try {
      r = await this.iter.next();
    } catch (err) {
      // Reopen from where we are after a transient read error, with the backoff and bound of the
      // storage retries (io/storage-retry.ts); a successful read ends the streak.
      this.stream?.destroy();
      this.stream = undefined;
      this.iter = undefined;
      const now = Date.now();
      this.failingSince ??= now;
      const transient = isTransientStorageError(err);
      if (!transient || now - this.failingSince >= DEFAULT_STORAGE_RETRY_MS) {
        throw new ObjectStoreError(
          `GET (from byte ${this.readPosition()})`,
          this.store.url(this.split.id),
          new StorageRetryError(err, this.retries + 1, transient),
        );
      }
      await new Promise((res) => setTimeout(res, storageRetryDelayMs(this.retries++)));
      return;
    }
    this.retries = 0;
    this.failingSince = undefined;
    if (r.done) {
      this.eof = true;
      if (this.carry.length > 0) {
        this.ready.push([stripCr(this.carry.toString('utf8')), this.carry.length]);
        this.carry = Buffer.alloc(0);
      }
      return;
    }
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, r.value]) : r.value;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(LF, start);
      if (nl < 0) break;
      this.ready.push([stripCr(buf.toString('utf8', start, nl)), nl - start + 1]);
      start = nl + 1;
    }
    this.carry = Buffer.from(buf.subarray(start));
  }

  close(): void {
    this.stream?.destroy();
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

function parseTime(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Date.parse(v);
  return NaN;
}

/** An S3 prefix source. */
export function s3Source<T = unknown>(opts: S3SourceOptions): Source<T> {
  const ooo = opts.maxOutOfOrdernessMs ?? 0;
  return {
    kind: 's3',
    async open(ctx: OperatorContext, restored: SplitState[] | undefined): Promise<SourceReader<T>> {
      const store = opts.bucket ? ctx.storeFor(opts.bucket) : ctx.store;
      const known = new Map<string, S3Split>();
      for (const s of restored ?? []) {
        const sp = s as S3Split;
        if (typeof sp.position === 'number' && ownerOfNamedSplit(sp.id, ctx.parallelism) === ctx.subtask) {
          known.set(sp.id, {
            id: sp.id,
            position: sp.position,
            done: sp.done === true,
            maxTs: sp.maxTs ?? -Infinity,
          });
        }
      }
      const discover = async () => {
        for (const o of await store.list(opts.prefix)) {
          if (o.key.endsWith('/') || known.has(o.key)) continue;
          if (ownerOfNamedSplit(o.key, ctx.parallelism) !== ctx.subtask) continue;
          known.set(o.key, { id: o.key, position: 0, done: false, maxTs: -Infinity });
        }
      };
      await discover();
      let lastDiscovery = Date.now();
      const limiter = new RateLimiter(opts.rate ?? Infinity);
      let current: ObjectLines | undefined;

      const nextSplit = (): S3Split | undefined =>
        [...known.values()].filter((s) => !s.done).sort((a, b) => (a.id < b.id ? -1 : 1))[0];

      const reader: SourceReader<T> = {
        async poll(max) {
          const every = opts.discoveryIntervalMs ?? 0;
          if (every > 0 && Date.now() - lastDiscovery >= every) {
            lastDiscovery = Date.now();
            await discover();
          }
          if (!current) {
            const s = nextSplit();
            if (!s) return every > 0 ? 'idle' : 'end';
            current = new ObjectLines(store, s);
          }
          const n = limiter.take(max);
          if (n === 0) return 'idle';
          const lines = await current.take(n);
          const out: SourceRecord<T>[] = [];
          for (const [line, bytes] of lines) {
            const at = current.split.position;
            current.advance(bytes);
            if (line.length === 0 || (opts.format === 'jsonl' && line.trim().length === 0)) continue;
            if (opts.format === 'text') {
              out.push({ value: line as T });
              continue;
            }
            let value: unknown;
            try {
              value = JSON.parse(line);
            } catch (err) {
              throw new S3SourceError(
                `${store.url(current.split.id)} byte ${at}: not a JSON line (${(err as Error).message})`,
              );
            }
            let ts = NO_TIMESTAMP;
            if (opts.timestampField) {
              ts = parseTime((value as Record<string, unknown> | null)?.[opts.timestampField]);
              if (!Number.isFinite(ts)) {
                throw new S3SourceError(
                  `${store.url(current.split.id)} byte ${at}: field ${opts.timestampField} is not a timestamp`,
                );
              }
              if (ts > current.split.maxTs) current.split.maxTs = ts;
            }
            out.push({ value: value as T, timestamp: ts });
          }
          if (current.exhausted) {
            current.split.done = true;
            current.close();
            current = undefined;
          }
          return out;
        },
        watermark() {
          const open = [...known.values()].filter((s) => !s.done);
          if (open.length === 0) return (opts.discoveryIntervalMs ?? 0) > 0 ? -Infinity : Infinity;
          if (!opts.timestampField) return -Infinity;
          return Math.min(...open.map((s) => s.maxTs - ooo - 1));
        },
        snapshot: () => [...known.values()].map((s) => ({ ...s })),
        splitCount: () => known.size,
        close: () => {
          current?.close();
          return Promise.resolve();
        },
      };
      return reader;
    },
  };
}
