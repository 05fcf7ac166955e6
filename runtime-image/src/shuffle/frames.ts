/**
 * Wire format of the shuffle (record exchange between workers over TCP).
 *
 * A connection carries frames `u32 big-endian length ‖ msgpack body`; the body is an array
 * whose first element is the message type. Bodies are MessagePack with msgpackr's record
 * extension: the keys of an object shape are written once per frame, its objects as the values
 * only; a frame carries its own record definitions, so every frame decodes alone (docs/runtime.md
 * "Profile of Nexmark Q5 and Q7"). The dialing worker sends `hello` first, then data,
 * barriers, watermarks and end markers; the accepting worker sends credits back on the same
 * connection. `boundary` is the index of the receiving stage (1 for the first keyBy).
 *
 *   hello     [0, protocolVersion, from, attempt, parallelism, jobUid, token]
 *   data      [1, boundary, [head, key, value?, timestamp?, head, key, ...]]
 *   barrier   [2, boundary, checkpointId, kind, stop]
 *   watermark [3, boundary, watermarkMs]
 *   credit    [4, boundary, batches]
 *   end       [5, boundary]
 *
 * A data frame's records are one flat array (one msgpack array header per batch, not per
 * record). Each record starts with `head` = keyGroup · 4 + 1 when the value is the key itself (a
 * `keyBy(x => x)`: the value is left out) + 2 when it has no event time (NO_TIMESTAMP: the
 * timestamp is left out); then the key, the value and the timestamp when present
 * (docs/runtime.md "Profile of wordcount").
 */
import { Packr, Unpackr } from 'msgpackr';
import type { SnapshotKind } from '@sluice/api/protocol.ts';
import { unpinned, unpinnedString } from './unpinned.ts';

/** Version of the shuffle protocol; peers of another version are refused. */
export const SHUFFLE_PROTOCOL_VERSION = 4;

/** Largest accepted frame (bytes); larger ones mean a corrupt stream. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

/**
 * A batch of shuffle records in memory: one flat array of {@link RECORD_STRIDE} elements per
 * record — key group, key (string), value, event time (ms or NO_TIMESTAMP) — so a record costs no
 * allocation of its own between the stage that emits it and the stage that processes it
 * (docs/runtime.md "Profile of wordcount"). On the wire it is the data frame's flat array above.
 */
export type RecordBatch = unknown[];

/** Elements per record in a {@link RecordBatch}. */
export const RECORD_STRIDE = 4;

/** Records in a batch. */
export function recordCount(batch: RecordBatch): number {
  return batch.length / RECORD_STRIDE;
}

export type WireMessage =
  | {
      t: 'hello';
      version: number;
      from: number;
      attempt: number;
      parallelism: number;
      job: string;
      /** The attempt's shuffle token (SLUICE_SHUFFLE_TOKEN). */
      token: string;
    }
  | { t: 'data'; boundary: number; records: RecordBatch }
  | { t: 'barrier'; boundary: number; id: number; kind: SnapshotKind; stop: boolean }
  | { t: 'watermark'; boundary: number; watermark: number }
  | { t: 'credit'; boundary: number; batches: number }
  | { t: 'end'; boundary: number };

/**
 * Records on, structures not shared between frames (no `structures`, not `sequential`): a frame
 * defines the record shapes it uses. Maps stay Maps and an `undefined` property stays one, as
 * a value passed to a task of the same worker does. Binary values are decoded as copies
 * (`copyBuffers`), not views on the received bytes, so a kept one does not pin them
 * (docs/runtime.md "Strings and bytes from the shuffle").
 */
const packr = new Packr({ useRecords: true });
const unpackr = new Unpackr({ useRecords: true, copyBuffers: true });

const VALUE_IS_KEY = 1;
const NO_TIME = 2;

/** The records of a data frame as its flat wire array (see the module comment). */
function flattenRecords(records: RecordBatch): unknown[] {
  const flat: unknown[] = [];
  for (let i = 0; i < records.length; i += RECORD_STRIDE) {
    const key = records[i + 1];
    const value = records[i + 2];
    const timestamp = records[i + 3];
    const valueIsKey = value === key;
    const noTime = timestamp === -Infinity;
    flat.push((records[i] as number) * 4 + (valueIsKey ? VALUE_IS_KEY : 0) + (noTime ? NO_TIME : 0), key);
    if (!valueIsKey) flat.push(value);
    if (!noTime) flat.push(timestamp);
  }
  return flat;
}

/**
 * The records of a flat wire array, their keys and values with strings of their own
 * ({@link unpinned}: a decoded string may be a view on a run of the frame's strings).
 * @throws FrameError when it is malformed
 */
function unflattenRecords(flat: unknown[]): RecordBatch {
  const records: RecordBatch = [];
  let i = 0;
  while (i < flat.length) {
    const head = flat[i++];
    const wireKey = flat[i++];
    if (typeof head !== 'number' || typeof wireKey !== 'string' || i > flat.length) {
      throw new FrameError(`data frame: malformed record at element ${i - 2}`);
    }
    const key = unpinnedString(wireKey);
    const value = head & VALUE_IS_KEY ? key : unpinned(flat[i++]);
    const timestamp = head & NO_TIME ? -Infinity : (flat[i++] as number);
    if (i > flat.length) throw new FrameError('data frame: truncated record');
    records.push(head >>> 2, key, value, timestamp);
  }
  return records;
}

function toArray(m: WireMessage): unknown[] {
  switch (m.t) {
    case 'hello':
      return [0, m.version, m.from, m.attempt, m.parallelism, m.job, m.token];
    case 'data':
      return [1, m.boundary, flattenRecords(m.records)];
    case 'barrier':
      return [2, m.boundary, m.id, m.kind, m.stop];
    case 'watermark':
      return [3, m.boundary, m.watermark];
    case 'credit':
      return [4, m.boundary, m.batches];
    case 'end':
      return [5, m.boundary];
  }
}

/** A malformed frame: the connection must be dropped. */
export class FrameError extends Error {
  override name = 'FrameError';
}

function fromArray(a: unknown): WireMessage {
  if (!Array.isArray(a)) throw new FrameError('frame body is not an array');
  const [type, x, y, z, w, v, u] = a as [number, number, unknown, unknown, unknown, unknown, unknown];
  switch (type) {
    case 0:
      return {
        t: 'hello',
        version: x,
        from: y as number,
        attempt: z as number,
        parallelism: w as number,
        job: v as string,
        token: typeof u === 'string' ? u : '',
      };
    case 1:
      if (!Array.isArray(y)) throw new FrameError('data frame without a record array');
      return { t: 'data', boundary: x, records: unflattenRecords(y) };
    case 2:
      return { t: 'barrier', boundary: x, id: y as number, kind: z as SnapshotKind, stop: w === true };
    case 3:
      return { t: 'watermark', boundary: x, watermark: y as number };
    case 4:
      return { t: 'credit', boundary: x, batches: y as number };
    case 5:
      return { t: 'end', boundary: x };
    default:
      throw new FrameError(`unknown message type ${String(type)}`);
  }
}

/** Encodes one message as a frame (length prefix included). */
export function encodeFrame(m: WireMessage): Buffer {
  const body = packr.pack(toArray(m));
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, 4);
  return frame;
}

/**
 * Reassembles frames from the chunks of a byte stream.
 * @throws FrameError (from push) on an oversized or undecodable frame
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds a chunk; returns the messages completed by it, in order. */
  push(chunk: Buffer): WireMessage[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: WireMessage[] = [];
    while (this.buffered >= 4) {
      let head = this.chunks[0]!;
      if (head.length < 4) head = this.coalesce();
      const len = head.readUInt32BE(0);
      if (len > MAX_FRAME_BYTES) throw new FrameError(`frame of ${len} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (this.buffered < 4 + len) break;
      if (head.length < 4 + len) head = this.coalesce();
      const body = head.subarray(4, 4 + len);
      let decoded: unknown;
      try {
        decoded = unpackr.unpack(body);
      } catch (err) {
        throw new FrameError(`undecodable frame: ${(err as Error).message}`);
      }
      out.push(fromArray(decoded));
      const rest = head.subarray(4 + len);
      this.buffered -= 4 + len;
      if (rest.length > 0) this.chunks[0] = rest;
      else this.chunks.shift();
    }
    return out;
  }

  private coalesce(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }
}
