import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCheckpoint } from './native-checkpoint.ts';

/** The part of @nxtedition/rocksdb's RocksLevel (abstract-level) these tests use. */
interface Level {
  readonly handle: bigint;
  open(): Promise<void>;
  close(): Promise<void>;
  batch(ops: Array<{ type: 'put'; key: string; value: string }>): Promise<void>;
  put(key: string, value: string): Promise<void>;
  getMany(keys: string[]): Promise<Array<string | undefined>>;
  iterator(): { all(): Promise<Array<[string, string]>> };
}
const { RocksLevel } = createRequire(import.meta.url)('@nxtedition/rocksdb') as {
  RocksLevel: new (location: string) => Level;
};

const key = (i: number): string => `key-${String(i).padStart(7, '0')}`;

async function putRange(db: Level, from: number, to: number, value: (i: number) => string): Promise<void> {
  for (let start = from; start < to; start += 10_000) {
    const ops = [];
    for (let i = start; i < Math.min(to, start + 10_000); i++)
      ops.push({ type: 'put' as const, key: key(i), value: value(i) });
    await db.batch(ops);
  }
}

async function openLevel(location: string): Promise<Level> {
  const db = new RocksLevel(location);
  await db.open();
  return db;
}

/** Inode of every SST file of a directory, by file name. */
function sstInodes(dir: string): Map<string, number> {
  const inodes = new Map<string, number>();
  for (const name of readdirSync(dir))
    if (name.endsWith('.sst')) inodes.set(name, statSync(join(dir, name)).ino);
  return inodes;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('createCheckpoint (native addon on a real RocksDB)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sluice-rocksdb-checkpoint-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('checkpoints readable copies that share unchanged SSTs by hard link', async () => {
    const db = await openLevel(join(root, 'db'));
    try {
      await putRange(db, 0, 100_000, (i) => `v1-${i}`);
      const dir1 = join(root, 'cp1');
      const first = createCheckpoint(db, dir1);
      expect(first.sequence).toBe(100_000);
      expect(first.files.map((f) => f.name).sort()).toEqual(readdirSync(dir1).sort());
      for (const f of first.files) expect(statSync(join(dir1, f.name)).size).toBe(f.bytes);
      const inodes1 = sstInodes(dir1);
      expect(inodes1.size).toBeGreaterThan(0);

      // New keys and overwritten ones after the first checkpoint.
      await putRange(db, 100_000, 120_000, (i) => `v1-${i}`);
      await putRange(db, 0, 1_000, (i) => `v2-${i}`);
      const dir2 = join(root, 'cp2');
      const second = createCheckpoint(db, dir2);
      expect(second.sequence).toBe(121_000);
      const shared = [...sstInodes(dir2)].filter(([name, ino]) => inodes1.get(name) === ino);
      expect(shared.length).toBeGreaterThan(0);

      const copy1 = await openLevel(dir1);
      try {
        const entries = await copy1.iterator().all();
        expect(entries.length).toBe(100_000);
        expect(entries[0]).toEqual([key(0), 'v1-0']);
        expect(entries[99_999]).toEqual([key(99_999), 'v1-99999']);
        expect(entries.every(([k, v]) => v === `v1-${Number(k.slice(4))}`)).toBe(true);
      } finally {
        await copy1.close();
      }
      const copy2 = await openLevel(dir2);
      try {
        expect(await copy2.getMany([key(0), key(999), key(1_000), key(119_999), key(120_000)])).toEqual([
          'v2-0',
          'v2-999',
          'v1-1000',
          'v1-119999',
          undefined,
        ]);
        expect((await copy2.iterator().all()).length).toBe(120_000);
      } finally {
        await copy2.close();
      }
    } finally {
      await db.close();
    }
  });

  it('refuses an existing directory and a closed database with an Error', async () => {
    const db = await openLevel(join(root, 'db'));
    await db.put('a', '1');
    const dir = join(root, 'cp');
    createCheckpoint(db, dir);
    expect(() => createCheckpoint(db, dir)).toThrow(/mkdir .*File exists/);
    const handle = db.handle;
    await db.close();
    // The stale handle of a closed RocksLevel: the addon sees the null DB pointer.
    expect(() => createCheckpoint({ handle }, join(root, 'cp-closed'))).toThrow(/database is closed/);
    // The RocksLevel itself refuses to hand out its handle once closed.
    expect(() => createCheckpoint(db, join(root, 'cp-closed'))).toThrow(/not open/);
    expect(readdirSync(root).sort()).toEqual(['cp', 'db']);
  });

  it('survives 20 rounds of put + checkpoint without leaking file descriptors', async () => {
    const before = openFds();
    const db = await openLevel(join(root, 'db'));
    for (let round = 0; round < 20; round++) {
      await putRange(db, round * 1_000, (round + 1) * 1_000, (i) => `r${round}-${i}`);
      const result = createCheckpoint(db, join(root, `cp-${round}`));
      expect(result.sequence).toBe((round + 1) * 1_000);
    }
    await db.close();
    expect(openFds()).toBeLessThanOrEqual(before + 2);
    const last = await openLevel(join(root, 'cp-19'));
    try {
      expect(await last.getMany([key(0), key(19_999)])).toEqual(['r0-0', 'r19-19999']);
    } finally {
      await last.close();
    }
  });
});
