/**
 * Writes a snapshot file (snapshot-codec.ts layout, SNAPSHOT_FORMAT_VERSION 1) to a local file
 * one section at a time, so memory stays bounded by one section's payload and its compressed
 * body plus a fixed copy buffer, whatever the state's size (docs/state.md "Snapshots: two
 * formats"). The header, which lists every section's offset, length and sha256, precedes the
 * bodies: the compressed bodies go to `<path>.body` first, then `<path>` gets the preamble, the
 * header and the bodies copied over, its sha256 computed on the way.
 */
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import {
  DEFAULT_COMPRESSION,
  checkKeyedSection,
  compress,
  encodePreambleAndHeader,
  sectionEntry,
  snapshotHeader,
  type Compression,
  type SectionEntry,
  type SectionInput,
  type SnapshotFileInfo,
} from './snapshot-codec.ts';

/** Sections produced eagerly (an array) or lazily (e.g. scanned from RocksDB key group by key group). */
export type SectionSource = Iterable<SectionInput> | AsyncIterable<SectionInput>;

/** What writeSnapshotFile wrote. */
export interface WrittenSnapshotFile {
  /** Size of the file in bytes. */
  bytes: number;
  /** Lowercase hex sha256 of the whole file. */
  sha256: string;
  /** The header's section list, in file order. */
  sections: SectionEntry[];
}

/** Options of writeSnapshotFile. */
export interface SnapshotFileWriteOptions {
  compression?: Compression;
  /** Called once per section after its body is written (payload bytes, stored bytes); for metrics and tests. */
  onSection?: (entry: SectionEntry) => void;
}

/** Bytes copied per read when assembling the final file. */
const COPY_BUFFER_BYTES = 1 << 20;

/**
 * Writes a snapshot file to `path` (created or truncated): the operator sections, then the keyed
 * sections as `keyed` yields them. Sections are compressed one at a time; no section is kept
 * after its body is written.
 * @param keyed keyed sections in ascending key-group order (several sections may share a group)
 * @returns the file's size in bytes, its sha256 and its section list
 * @throws Error when a keyed section lies outside info.keyGroupRange or comes out of key-group
 *   order, or whatever `keyed` throws, or a file-system error; `path` and `<path>.body` are
 *   removed then (`<path>.body` is removed in every case)
 */
export async function writeSnapshotFile(
  path: string,
  info: SnapshotFileInfo,
  operator: SectionInput[],
  keyed: SectionSource,
  o: SnapshotFileWriteOptions = {},
): Promise<WrittenSnapshotFile> {
  const compression = o.compression ?? DEFAULT_COMPRESSION;
  const bodyPath = `${path}.body`;
  try {
    const sections = await writeBodies(bodyPath, info, operator, keyed, compression, o.onSection);
    const header = encodePreambleAndHeader(snapshotHeader(info, sections, compression));
    const written = await assemble(path, header, bodyPath);
    return { ...written, sections };
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  } finally {
    await rm(bodyPath, { force: true });
  }
}

/** Compresses and appends each section's body to `bodyPath`. @returns the section entries */
async function writeBodies(
  bodyPath: string,
  info: SnapshotFileInfo,
  operator: SectionInput[],
  keyed: SectionSource,
  compression: Compression,
  onSection: ((e: SectionEntry) => void) | undefined,
): Promise<SectionEntry[]> {
  const out = await open(bodyPath, 'w');
  const entries: SectionEntry[] = [];
  let offset = 0;
  const append = async (s: SectionInput): Promise<void> => {
    const body = await compress(s.payload, compression);
    await out.write(body, 0, body.length);
    const e = sectionEntry(s, body, offset);
    offset += body.length;
    entries.push(e);
    onSection?.(e);
  };
  try {
    for (const s of operator) {
      if (s.kind !== 'operator') throw new Error(`section ${s.name} is not an operator section`);
      await append(s);
    }
    let last = -1;
    for await (const s of keyed) {
      if (s.kind !== 'keyed') throw new Error(`section ${s.name} is not a keyed section`);
      checkKeyedSection(info, s);
      if (s.keyGroup! < last) {
        throw new Error(`keyed section ${s.name} comes after key group ${last} (sections must ascend)`);
      }
      last = s.keyGroup!;
      await append(s);
    }
  } finally {
    await out.close();
  }
  return entries;
}

/** Writes `header` then the bytes of `bodyPath` to `path`. @returns size in bytes and sha256 */
async function assemble(
  path: string,
  header: Buffer,
  bodyPath: string,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  const out = await open(path, 'w');
  try {
    await out.write(header, 0, header.length);
    hash.update(header);
    let bytes = header.length;
    const body = await open(bodyPath, 'r');
    try {
      const buf = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
      for (;;) {
        const { bytesRead } = await body.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        await out.write(chunk, 0, bytesRead);
        hash.update(chunk);
        bytes += bytesRead;
      }
    } finally {
      await body.close();
    }
    return { bytes, sha256: hash.digest('hex') };
  } finally {
    await out.close();
  }
}
