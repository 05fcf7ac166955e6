import {
  PREAMBLE_BYTES,
  SnapshotCorruptedError,
  bufferReader,
  encodePayload,
  encodeSnapshotFile,
  keyedSectionName,
  openSnapshotFile,
  readSections,
  type Compression,
  type RangeReader,
  type SectionInput,
} from './snapshot-codec.ts';

const info = {
  checkpointId: 7,
  subtask: 1,
  parallelism: 3,
  maxParallelism: 128,
  keyGroupHash: 'test-hash',
  keyGroupRange: { start: 43, end: 85 },
};

function sections(): SectionInput[] {
  const out: SectionInput[] = [
    { name: 'source', kind: 'operator', payload: encodePayload({ splits: [{ id: 'p0', offset: 12 }] }) },
  ];
  // Deliberately out of order: the encoder sorts keyed sections by key group.
  for (const g of [85, 43, 60, 44, 61]) {
    out.push({
      name: keyedSectionName(g),
      kind: 'keyed',
      keyGroup: g,
      payload: encodePayload([['count', 'value', [[`k${g}`, g * 10]]]]),
    });
  }
  return out;
}

function countingReader(buf: Buffer): { read: RangeReader; calls: Array<[number, number]> } {
  const calls: Array<[number, number]> = [];
  const inner = bufferReader(buf);
  return {
    calls,
    read: (o, l) => {
      calls.push([o, l]);
      return inner(o, l);
    },
  };
}

describe('snapshot codec', () => {
  it.each<Compression>(['zstd', 'gzip', 'none'])('round-trips header and every section (%s)', async (c) => {
    const file = await encodeSnapshotFile(info, sections(), c);
    const opened = await openSnapshotFile(bufferReader(file), 'mem://a');
    expect(opened.header).toMatchObject({ ...info, formatVersion: 1, compression: c });
    expect(opened.header.sections.map((s) => s.name)).toEqual([
      'source',
      'kg/43',
      'kg/44',
      'kg/60',
      'kg/61',
      'kg/85',
    ]);
    const all = await readSections(bufferReader(file), opened, 'mem://a', () => true);
    expect(all.find((s) => s.entry.name === 'source')?.value).toEqual({ splits: [{ id: 'p0', offset: 12 }] });
    expect(all.find((s) => s.entry.name === 'kg/60')?.value).toEqual([['count', 'value', [['k60', 600]]]]);
  });

  it('compresses repetitive payloads', async () => {
    const big = encodePayload(new Array(5000).fill('the same word'));
    const file = await encodeSnapshotFile(info, [{ name: 'source', kind: 'operator', payload: big }], 'zstd');
    expect(file.length).toBeLessThan(big.length / 10);
  });

  it('reads a contiguous key-group range with one ranged read', async () => {
    const file = await encodeSnapshotFile(info, sections());
    const { read, calls } = countingReader(file);
    const opened = await openSnapshotFile(read, 'mem://a');
    calls.length = 0;
    const got = await readSections(read, opened, 'mem://a', (e) => e.kind === 'keyed' && e.keyGroup! <= 60);
    expect(got.map((s) => s.entry.keyGroup)).toEqual([43, 44, 60]);
    expect(calls).toHaveLength(1);
  });

  it('refuses a keyed section outside the range', async () => {
    await expect(
      encodeSnapshotFile(info, [{ name: 'kg/3', kind: 'keyed', keyGroup: 3, payload: encodePayload(1) }]),
    ).rejects.toThrow(/key group 3, outside/);
  });

  it('detects a flipped byte in a section and names the object and section', async () => {
    const file = await encodeSnapshotFile(info, sections());
    const opened = await openSnapshotFile(bufferReader(file), 'x');
    const target = opened.header.sections.find((s) => s.name === 'kg/60')!;
    const corrupt = Buffer.from(file);
    corrupt[opened.dataOffset + target.offset + 1]! ^= 0xff;
    const reopened = await openSnapshotFile(bufferReader(corrupt), 's3://bkt/chk-7/state-1.snap');
    // Sections other than the corrupted one still read fine.
    await expect(
      readSections(bufferReader(corrupt), reopened, 's3://bkt/chk-7/state-1.snap', (e) => e.name === 'kg/61'),
    ).resolves.toHaveLength(1);
    const err = await readSections(
      bufferReader(corrupt),
      reopened,
      's3://bkt/chk-7/state-1.snap',
      () => true,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotCorruptedError);
    expect((err as SnapshotCorruptedError).object).toBe('s3://bkt/chk-7/state-1.snap');
    expect((err as SnapshotCorruptedError).section).toBe('kg/60');
    expect((err as Error).message).toMatch(
      /^snapshot object s3:\/\/bkt\/chk-7\/state-1\.snap is corrupted: section kg\/60: sha256 mismatch/,
    );
  });

  it('detects a corrupted header', async () => {
    const file = Buffer.from(await encodeSnapshotFile(info, sections()));
    file[PREAMBLE_BYTES + 5]! ^= 0x01;
    await expect(openSnapshotFile(bufferReader(file), 'obj')).rejects.toThrow(
      /snapshot object obj is corrupted: section header: sha256 mismatch/,
    );
  });

  it('rejects foreign bytes, unknown versions and truncation', async () => {
    await expect(openSnapshotFile(bufferReader(Buffer.from('hello world')), 'o1')).rejects.toThrow(
      /bad magic/,
    );
    const file = Buffer.from(await encodeSnapshotFile(info, sections()));
    const v2 = Buffer.from(file);
    v2.writeUInt32BE(2, 8);
    await expect(openSnapshotFile(bufferReader(v2), 'o2')).rejects.toThrow(
      /format version 2 is not supported/,
    );
    const truncated = file.subarray(0, file.length - 3);
    const opened = await openSnapshotFile(bufferReader(truncated), 'o3');
    await expect(readSections(bufferReader(truncated), opened, 'o3', () => true)).rejects.toThrow(
      /o3 is corrupted: section kg\/85: truncated/,
    );
  });
});
