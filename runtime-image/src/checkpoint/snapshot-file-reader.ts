/**
 * Reads a snapshot file (snapshot-codec.ts layout) from a local file by offset and length, so a
 * restore holds one section at a time instead of the whole file (docs/runtime.md "Restore").
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  openSnapshotFile,
  readSections,
  type DecodedSection,
  type OpenedSnapshotFile,
  type RangeReader,
  type SectionEntry,
} from './snapshot-codec.ts';

/**
 * A RangeReader over an open local file: `read(offset, length)` returns the bytes there, fewer
 * at the end of the file (the codec reports that as truncation).
 */
export function fileRangeReader(fh: FileHandle): RangeReader {
  return async (offset, length) => {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  };
}

/** A local snapshot file opened for reading section by section. */
export class LocalSnapshotFile {
  readonly opened: OpenedSnapshotFile;
  /** The object's name for error messages (e.g. `s3://bucket/key`). */
  readonly object: string;
  readonly #fh: FileHandle;
  readonly #read: RangeReader;

  private constructor(fh: FileHandle, opened: OpenedSnapshotFile, object: string) {
    this.#fh = fh;
    this.#read = fileRangeReader(fh);
    this.opened = opened;
    this.object = object;
  }

  /**
   * Opens `path` and reads and checks its preamble and header.
   * @param object the object's name for error messages
   * @throws SnapshotCorruptedError on bad magic, unknown version, truncation or header checksum
   *   mismatch; the file-system error when `path` cannot be opened
   */
  static async open(path: string, object: string): Promise<LocalSnapshotFile> {
    const fh = await open(path, 'r');
    try {
      return new LocalSnapshotFile(fh, await openSnapshotFile(fileRangeReader(fh), object), object);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /**
   * Reads, verifies (sha256 of the stored bytes, lengths) and decodes the selected sections;
   * adjacent ones are read together, so select few at a time to bound memory.
   * @throws SnapshotCorruptedError naming the object and the section
   */
  read(select: (entry: SectionEntry) => boolean): Promise<DecodedSection[]> {
    return readSections(this.#read, this.opened, this.object, select);
  }

  /**
   * Reads, verifies and decodes the selected sections one at a time, in file order; only one
   * section's stored and decoded bytes are held at a time.
   * @throws SnapshotCorruptedError (while iterating) naming the object and the section
   */
  async *each(select: (entry: SectionEntry) => boolean): AsyncGenerator<DecodedSection> {
    const chosen = this.opened.header.sections.filter(select).sort((a, b) => a.offset - b.offset);
    for (const e of chosen) {
      const [s] = await readSections(this.#read, this.opened, this.object, (x) => x === e);
      yield s!;
    }
  }

  /** Closes the file (idempotent). */
  async close(): Promise<void> {
    await this.#fh.close().catch(() => undefined);
  }
}
