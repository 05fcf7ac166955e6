/**
 * msgpack encoding of state values in RocksDB rows, with one shared Encoder and Decoder:
 * @msgpack/msgpack's encode()/decode() construct a new Encoder/Decoder per call, which dominated
 * the per-record cost. Same options as checkpoint/snapshot-codec.ts encodePayload, so a value's
 * bytes are those it has inside a canonical snapshot payload.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';

const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

/** msgpack bytes of a state value, as a Buffer over a fresh copy. */
export function encodeValue(v: unknown): Buffer {
  const u = encoder.encode(v);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * The state value of msgpack bytes.
 * @throws the decoder's RangeError/DecodeError when the bytes are not one msgpack value
 */
export function decodeValue(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
