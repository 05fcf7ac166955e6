/**
 * The byte format of a worker's snapshot file (`state-<subtask>.snap` in a checkpoint or
 * savepoint directory). Versioned, organised in sections so that a worker of another
 * parallelism reads only the key groups it owns, each section compressed and checksummed.
 *
 * Layout (all integers big-endian):
 *
 *   offset  size  field
 *   0       8     magic "SLUICESN"
 *   8       4     file format version (SNAPSHOT_FORMAT_VERSION)
 *   12      4     header length H in bytes
 *   16      32    sha256 of the header bytes
 *   48      H     header: msgpack of SnapshotFileHeader (uncompressed)
 *   48+H    ...   section bodies back to back, each compressed with `header.compression`;
 *                 SectionEntry.offset is relative to 48+H
 *
 * A section's sha256 covers its stored (compressed) bytes, so corruption is detected before
 * decompression. Keyed sections are ordered by key group, so the sections of a contiguous
 * key-group range are one contiguous byte range (one ranged GET per file on restore).
 *
 * Section payloads are msgpack (explicit, language-neutral, stable across Node versions —
 * unlike v8.serialize); what a payload contains is defined by the caller (state/keyed-state-backend.ts,
 * sources, sinks).
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { decode, encode } from '@msgpack/msgpack';
import type { KeyGroupRange } from '../core/keygroups.ts';

/** Version of the snapshot file format. Bump on incompatible change; readers refuse others. */
export const SNAPSHOT_FORMAT_VERSION = 1;

const MAGIC = Buffer.from('SLUICESN', 'ascii');
/** Bytes before the header: magic, version, header length, header sha256. */
export const PREAMBLE_BYTES = 48;

/** Compression of section bodies. `zstd` needs node:zlib zstd (Node ≥ 22.15); gzip is the fallback. */
export type Compression = 'zstd' | 'gzip' | 'none';

/** The compression writers use: zstd when this Node has it, gzip otherwise. */
export const DEFAULT_COMPRESSION: Compression = typeof zlib.zstdCompress === 'function' ? 'zstd' : 'gzip';

/** Where a section lives in the file and how to check it. */
export interface SectionEntry {
  /** `kg/<n>` for keyed sections, a free name (e.g. `source`, `sink`) for operator sections. */
  name: string;
  /** `keyed`: state of one key group; `operator`: non-keyed state every restoring worker reads. */
  kind: 'keyed' | 'operator';
  /** Key group of a keyed section. */
  keyGroup?: number;
  /** Byte offset of the stored body, relative to the end of the header. */
  offset: number;
  /** Stored (compressed) length in bytes. */
  length: number;
  /** Uncompressed payload length in bytes. */
  rawLength: number;
  /** Hex sha256 of the stored bytes. */
  sha256: string;
}

/** Header of a snapshot file. */
export interface SnapshotFileHeader {
  formatVersion: number;
  checkpointId: number;
  subtask: number;
  parallelism: number;
  maxParallelism: number;
  /** The key → key-group function the keyed sections were partitioned with (keygroups.ts KEY_GROUP_HASH). */
  keyGroupHash: string;
  /** Key groups of the writing subtask (keyed sections are within it). */
  keyGroupRange: KeyGroupRange;
  compression: Compression;
  /** RFC 3339 time the file was encoded. */
  createdAt: string;
  /** Operator sections first, then keyed sections in ascending key-group order. */
  sections: SectionEntry[];
}

/** A section to write: its payload is any msgpack-encodable value. */
export interface SectionInput {
  name: string;
  kind: 'keyed' | 'operator';
  keyGroup?: number;
  /** Already-encoded msgpack bytes (see encodePayload), so capture can happen synchronously at the barrier. */
  payload: Uint8Array;
}

/** Header fields the writer provides (the rest is computed). */
export type SnapshotFileInfo = Omit<
  SnapshotFileHeader,
  'formatVersion' | 'sections' | 'compression' | 'createdAt'
>;

/**
 * A snapshot object failed validation (bad magic, unknown version, checksum mismatch, truncated).
 * `object` names the object (e.g. `s3://bucket/key`), `section` the failing section if any.
 */
export class SnapshotCorruptedError extends Error {
  readonly object: string;
  readonly section: string | undefined;
  constructor(object: string, detail: string, section?: string) {
    super(
      `snapshot object ${object} is corrupted: ${section ? `section ${section}: ` : ''}${detail}; ` +
        'restore from another checkpoint or savepoint',
    );
    this.name = 'SnapshotCorruptedError';
    this.object = object;
    this.section = section;
  }
}

/** msgpack-encodes a section payload (plain data: null, booleans, numbers, strings, arrays, objects, Uint8Array). */
export function encodePayload(value: unknown): Uint8Array {
  return encode(value, { ignoreUndefined: true });
}

/** Decodes a msgpack section payload. */
export function decodePayload(bytes: Uint8Array): unknown {
  return decode(bytes);
}

const zstdCompress = typeof zlib.zstdCompress === 'function' ? promisify(zlib.zstdCompress) : undefined;
const zstdDecompress = typeof zlib.zstdDecompress === 'function' ? promisify(zlib.zstdDecompress) : undefined;
const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/** Compresses one section payload with `c`. @throws Error when `c` is zstd and this Node lacks it */
export async function compress(bytes: Uint8Array, c: Compression): Promise<Buffer> {
  if (c === 'none') return Buffer.from(bytes);
  if (c === 'gzip') return gzip(bytes);
  if (!zstdCompress) throw new Error('zstd compression is not available in this Node.js (needs ≥ 22.15)');
  return zstdCompress(bytes);
}

async function decompress(bytes: Buffer, c: Compression): Promise<Buffer> {
  if (c === 'none') return bytes;
  if (c === 'gzip') return gunzip(bytes);
  if (!zstdDecompress) throw new Error('zstd decompression is not available in this Node.js (needs ≥ 22.15)');
  return zstdDecompress(bytes);
}

/** Lowercase hex sha256 of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Checks that keyed section `s` names a key group inside the writer's range.
 * @throws Error when it lacks keyGroup or lies outside info.keyGroupRange
 */
export function checkKeyedSection(info: SnapshotFileInfo, s: SectionInput): void {
  const g = s.keyGroup;
  if (g === undefined || g < info.keyGroupRange.start || g > info.keyGroupRange.end) {
    throw new Error(
      `keyed section ${s.name} has key group ${g}, outside ${JSON.stringify(info.keyGroupRange)}`,
    );
  }
}

/**
 * Encodes a snapshot file. Sections are compressed concurrently (zlib runs in libuv's pool).
 * Keyed sections are sorted by key group and placed after the operator sections.
 * @returns the whole file as one Buffer (bytes)
 * @throws Error when a keyed section lacks keyGroup or lies outside info.keyGroupRange.
 */
export async function encodeSnapshotFile(
  info: SnapshotFileInfo,
  sections: SectionInput[],
  compression: Compression = DEFAULT_COMPRESSION,
): Promise<Buffer> {
  for (const s of sections) if (s.kind === 'keyed') checkKeyedSection(info, s);
  const ordered = [
    ...sections.filter((s) => s.kind === 'operator'),
    ...sections.filter((s) => s.kind === 'keyed').sort((a, b) => a.keyGroup! - b.keyGroup!),
  ];
  const bodies = await Promise.all(ordered.map((s) => compress(s.payload, compression)));
  let offset = 0;
  const entries: SectionEntry[] = ordered.map((s, i) => {
    const e = sectionEntry(s, bodies[i]!, offset);
    offset += e.length;
    return e;
  });
  const header = snapshotHeader(info, entries, compression);
  return Buffer.concat([encodePreambleAndHeader(header), ...bodies]);
}

/**
 * The header entry of section `s` whose stored (compressed) body is `body`, at `offset` bytes
 * after the header.
 */
export function sectionEntry(s: SectionInput, body: Uint8Array, offset: number): SectionEntry {
  const e: SectionEntry = {
    name: s.name,
    kind: s.kind,
    offset,
    length: body.length,
    rawLength: s.payload.length,
    sha256: sha256(body),
  };
  if (s.keyGroup !== undefined) e.keyGroup = s.keyGroup;
  return e;
}

/**
 * The preamble and header of a snapshot file (everything before the first section body).
 * @returns PREAMBLE_BYTES + header length bytes
 */
export function encodePreambleAndHeader(header: SnapshotFileHeader): Buffer {
  const headerBytes = Buffer.from(encodePayload(header));
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  MAGIC.copy(preamble, 0);
  preamble.writeUInt32BE(SNAPSHOT_FORMAT_VERSION, 8);
  preamble.writeUInt32BE(headerBytes.length, 12);
  createHash('sha256').update(headerBytes).digest().copy(preamble, 16);
  return Buffer.concat([preamble, headerBytes]);
}

/**
 * The header of a snapshot file with `sections` (already placed), stamped now.
 */
export function snapshotHeader(
  info: SnapshotFileInfo,
  sections: SectionEntry[],
  compression: Compression,
): SnapshotFileHeader {
  return {
    ...info,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    compression,
    createdAt: new Date().toISOString(),
    sections,
  };
}

/** Reads `length` bytes at `offset` of one object (a ranged GET, or a slice of a Buffer in tests). */
export type RangeReader = (offset: number, length: number) => Promise<Buffer>;

/** A parsed header and where the section bodies start. */
export interface OpenedSnapshotFile {
  header: SnapshotFileHeader;
  /** Absolute byte offset of the first section body. */
  dataOffset: number;
}

/**
 * Reads and validates the preamble and header of a snapshot file.
 * @param object the object's name for error messages, e.g. `s3://bucket/key`
 * @throws SnapshotCorruptedError on bad magic, unknown version, truncation or header checksum mismatch.
 */
export async function openSnapshotFile(read: RangeReader, object: string): Promise<OpenedSnapshotFile> {
  const pre = await read(0, PREAMBLE_BYTES);
  if (pre.length < PREAMBLE_BYTES || !pre.subarray(0, 8).equals(MAGIC)) {
    throw new SnapshotCorruptedError(object, 'not a Sluice snapshot file (bad magic or truncated preamble)');
  }
  const version = pre.readUInt32BE(8);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotCorruptedError(
      object,
      `format version ${version} is not supported (this runtime reads version ${SNAPSHOT_FORMAT_VERSION})`,
    );
  }
  const headerLength = pre.readUInt32BE(12);
  const headerBytes = await read(PREAMBLE_BYTES, headerLength);
  if (headerBytes.length !== headerLength) {
    throw new SnapshotCorruptedError(
      object,
      `header truncated: ${headerBytes.length} of ${headerLength} bytes`,
      'header',
    );
  }
  const expected = pre.subarray(16, 48).toString('hex');
  const actual = sha256(headerBytes);
  if (expected !== actual) {
    throw new SnapshotCorruptedError(
      object,
      `sha256 mismatch (expected ${expected}, got ${actual})`,
      'header',
    );
  }
  const header = decodePayload(headerBytes) as SnapshotFileHeader;
  if (header.formatVersion !== SNAPSHOT_FORMAT_VERSION || !Array.isArray(header.sections)) {
    throw new SnapshotCorruptedError(object, 'header is not a version-1 snapshot header', 'header');
  }
  return { header, dataOffset: PREAMBLE_BYTES + headerLength };
}

/** A decoded section. */
export interface DecodedSection {
  entry: SectionEntry;
  /** The msgpack-decoded payload. */
  value: unknown;
}

/**
 * Reads, verifies and decodes the sections selected by `select`. Selected sections that are
 * adjacent in the file are fetched with a single ranged read.
 * @throws SnapshotCorruptedError naming `object` and the section on checksum or length mismatch.
 */
export async function readSections(
  read: RangeReader,
  file: OpenedSnapshotFile,
  object: string,
  select: (entry: SectionEntry) => boolean,
): Promise<DecodedSection[]> {
  const chosen = file.header.sections.filter(select).sort((a, b) => a.offset - b.offset);
  // Coalesce adjacent sections into runs, one read each.
  const runs: SectionEntry[][] = [];
  for (const e of chosen) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (run && last && last.offset + last.length === e.offset) run.push(e);
    else runs.push([e]);
  }
  const out: DecodedSection[] = [];
  for (const run of runs) {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const total = last.offset + last.length - first.offset;
    const bytes = total === 0 ? Buffer.alloc(0) : await read(file.dataOffset + first.offset, total);
    if (bytes.length !== total) {
      const cut = run.find((e) => e.offset - first.offset + e.length > bytes.length) ?? first;
      throw new SnapshotCorruptedError(
        object,
        `truncated: read ${bytes.length} of ${total} bytes from offset ${file.dataOffset + first.offset}`,
        cut.name,
      );
    }
    for (const e of run) {
      const body = bytes.subarray(e.offset - first.offset, e.offset - first.offset + e.length);
      const actual = sha256(body);
      if (actual !== e.sha256) {
        throw new SnapshotCorruptedError(
          object,
          `sha256 mismatch (expected ${e.sha256}, got ${actual})`,
          e.name,
        );
      }
      let raw: Buffer;
      try {
        raw = await decompress(body, file.header.compression);
      } catch (err) {
        throw new SnapshotCorruptedError(object, `cannot decompress: ${(err as Error).message}`, e.name);
      }
      if (raw.length !== e.rawLength) {
        throw new SnapshotCorruptedError(
          object,
          `payload is ${raw.length} bytes, header says ${e.rawLength}`,
          e.name,
        );
      }
      out.push({ entry: e, value: decodePayload(raw) });
    }
  }
  return out;
}

/** A RangeReader over an in-memory buffer (tests, local files). */
export function bufferReader(buf: Buffer): RangeReader {
  return (offset, length) => Promise.resolve(buf.subarray(offset, offset + length));
}

/** Name of the keyed section of key group `g`. */
export function keyedSectionName(g: number): string {
  return `kg/${g}`;
}
