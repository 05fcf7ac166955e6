/**
 * snapshot-file-writer.ts and snapshot-file-reader.ts on local files: the file has the layout
 * encodeSnapshotFile produces (the same sections, offsets, checksums; both decode alike), the
 * sha256 and size it reports are the file's, sections are pulled one at a time (the writer asks
 * for the next section only after writing the previous one), bad input fails and leaves no file
 * behind, and the reader reads sections one by one and finds a damaged one.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SnapshotCorruptedError,
  bufferReader,
  encodePayload,
  encodeSnapshotFile,
  keyedSectionName,
  openSnapshotFile,
  readSections,
  type SectionEntry,
  type SectionInput,
} from './snapshot-codec.ts';
import { LocalSnapshotFile } from './snapshot-file-reader.ts';
import { writeSnapshotFile } from './snapshot-file-writer.ts';

const info = {
  checkpointId: 7,
  subtask: 1,
  parallelism: 3,
  maxParallelism: 128,
  keyGroupHash: 'test-hash',
  keyGroupRange: { start: 43, end: 85 },
};
const operator: SectionInput[] = [
  { name: 'op/source', kind: 'operator', payload: encodePayload({ split: 1 }) },
];
const keyedSection = (g: number, size = 100): SectionInput => ({
  name: keyedSectionName(g),
  kind: 'keyed',
  keyGroup: g,
  payload: encodePayload([['op', 'v', 'value', [[`k${g}`, 'x'.repeat(size)]]]]),
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-snapfile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const strip = (e: SectionEntry[]) => e.map((x) => ({ ...x }));

describe('writeSnapshotFile', () => {
  it('writes the layout encodeSnapshotFile does, pulling one section at a time', async () => {
    const groups = [43, 44, 44, 60, 85];
    const events: string[] = [];
    async function* keyed(): AsyncGenerator<SectionInput> {
      for (const g of groups) {
        events.push(`produce ${g}`);
        yield keyedSection(g, 10_000);
      }
    }
    const path = join(dir, 'f.snap');
    const written = await writeSnapshotFile(path, info, operator, keyed(), {
      compression: 'gzip',
      onSection: (e) => events.push(`wrote ${e.name}`),
    });
    // The next section is produced only after the previous one was written.
    expect(events).toEqual([
      'wrote op/source',
      ...groups.flatMap((g) => [`produce ${g}`, `wrote ${keyedSectionName(g)}`]),
    ]);
    const file = readFileSync(path);
    expect(written.bytes).toBe(file.length);
    expect(written.sha256).toBe(createHash('sha256').update(file).digest('hex'));
    expect(readdirSync(dir)).toEqual(['f.snap']);

    const reference = await encodeSnapshotFile(
      info,
      [...operator, ...groups.map((g) => keyedSection(g, 10_000))],
      'gzip',
    );
    const [a, b] = await Promise.all([
      openSnapshotFile(bufferReader(file), 'file'),
      openSnapshotFile(bufferReader(reference), 'ref'),
    ]);
    expect(a.dataOffset).toBe(b.dataOffset);
    expect(strip(a.header.sections)).toEqual(strip(b.header.sections));
    expect(strip(written.sections)).toEqual(strip(a.header.sections));
    // Bodies are byte-identical: only the header's createdAt may differ.
    expect(file.subarray(a.dataOffset)).toEqual(reference.subarray(b.dataOffset));
    const all = () => true;
    expect(await readSections(bufferReader(file), a, 'file', all)).toEqual(
      await readSections(bufferReader(reference), b, 'ref', all),
    );
  });

  it('accepts a plain array and an empty keyed source', async () => {
    const path = join(dir, 'g.snap');
    const w = await writeSnapshotFile(path, info, [], []);
    const opened = await openSnapshotFile(bufferReader(readFileSync(path)), 'g');
    expect(opened.header.sections).toEqual([]);
    expect(w.bytes).toBe(readFileSync(path).length);
  });

  it.each([
    ['a key group outside the range', [keyedSection(86)], /key group 86, outside/],
    ['descending key groups', [keyedSection(50), keyedSection(49)], /must ascend/],
    ['an operator section among the keyed ones', [operator[0]!], /not a keyed section/],
  ])('refuses %s and leaves no file', async (_what, keyed, message) => {
    const path = join(dir, 'bad.snap');
    await expect(writeSnapshotFile(path, info, operator, keyed)).rejects.toThrow(message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes its files when the section source fails midway', async () => {
    async function* failing(): AsyncGenerator<SectionInput> {
      yield keyedSection(43);
      throw new Error('database closed');
    }
    await expect(writeSnapshotFile(join(dir, 'x.snap'), info, operator, failing())).rejects.toThrow(
      'database closed',
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('LocalSnapshotFile', () => {
  it('reads sections one at a time and names a damaged one', async () => {
    const path = join(dir, 'r.snap');
    await writeSnapshotFile(
      path,
      info,
      operator,
      [43, 50, 51].map((g) => keyedSection(g)),
    );
    const f = await LocalSnapshotFile.open(path, 's3://b/r.snap');
    const got: number[] = [];
    for await (const s of f.each((e) => e.kind === 'keyed')) got.push(s.entry.keyGroup!);
    expect(got).toEqual([43, 50, 51]);
    const [op] = await f.read((e) => e.kind === 'operator');
    expect(op!.value).toEqual({ split: 1 });
    const target = f.opened.header.sections.find((e) => e.keyGroup === 50)!;
    await f.close();

    const bytes = readFileSync(path);
    bytes[f.opened.dataOffset + target.offset + 2]! ^= 0xff;
    writeFileSync(path, bytes);
    const g = await LocalSnapshotFile.open(path, 's3://b/r.snap');
    const seen: number[] = [];
    const read = async () => {
      for await (const s of g.each((e) => e.kind === 'keyed')) seen.push(s.entry.keyGroup!);
    };
    await expect(read()).rejects.toThrow(SnapshotCorruptedError);
    await expect(g.read((e) => e.name === target.name)).rejects.toThrow(/section kg\/50: sha256 mismatch/);
    expect(seen).toEqual([43]);
    await g.close();
  });
});
