/**
 * Canonical savepoints of state larger than memory (docs/state.md "Snapshots: two formats"), on
 * a real RocksDB and a real MinIO: a RocksDB savepoint is written section by section from an
 * iterator opened at the barrier, so it holds the barrier's state although the task goes on
 * writing while it is uploaded; it restores section by section into RocksDB and into the heap
 * backend at another parallelism, and a heap savepoint restores into RocksDB; a damaged section
 * is found (SnapshotCorruptedError naming it) whether or not `_metadata`'s sha256 gives it away;
 * and no local temporary file is left after success or failure.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobPrefix, workerStateFile } from '@sluice/api/layout.ts';
import { writeMetadataOnce } from '@sluice/api/metadata-store.ts';
import { METADATA_FORMAT_VERSION } from '@sluice/api/metadata.ts';
import type { CheckpointAck } from '@sluice/api/protocol.ts';
import { openRestoredState, type RestoreTrust } from '../../runtime-image/src/checkpoint/restore.ts';
import {
  SnapshotCorruptedError,
  bufferReader,
  decodePayload,
  openSnapshotFile,
} from '../../runtime-image/src/checkpoint/snapshot-codec.ts';
import { writeWorkerSnapshot } from '../../runtime-image/src/checkpoint/snapshot-writer.ts';
import { keyGroupOf, keyGroupRangeFor } from '../../runtime-image/src/core/keygroups.ts';
import { ObjectStore } from '../../runtime-image/src/io/object-store.ts';
import type { SnapshotPart } from '../../runtime-image/src/runtime/snapshot-collector.ts';
import { HeapStateBackend } from '../../runtime-image/src/state/heap-state-backend.ts';
import type { KeyedStateBackend, TableSnapshot } from '../../runtime-image/src/state/keyed-state-backend.ts';
import { restoreKeyedSections } from '../../runtime-image/src/state/restore-keyed-state.ts';
import { RocksDbStateBackend } from '../../runtime-image/src/state/rocksdb/rocksdb-state-backend.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';

const MAX_P = 128;
const KEYS = 20_000;
const prefix = jobPrefix('sluice', 'ns', 'sp', 'uid-sp');

describe('canonical savepoints written and restored section by section', () => {
  let env: TestEnv;
  let store: ObjectStore;
  let root: string;
  let work: string;
  let n = 0;
  const open: KeyedStateBackend[] = [];
  const trust = (): RestoreTrust => ({ jobBucket: env.bucket, jobPrefix: prefix, snapshotKey: undefined });

  beforeAll(async () => {
    env = await setupTestEnv('savepoint-stream');
    store = new ObjectStore(env.minio, env.bucket);
  });
  afterAll(() => env.cleanup());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sluice-sp-stream-'));
    work = join(root, 'work');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
    rmSync(root, { recursive: true, force: true });
  });

  async function backends(kind: 'rocksdb' | 'heap', parallelism: number): Promise<KeyedStateBackend[]> {
    const out: KeyedStateBackend[] = [];
    for (let s = 0; s < parallelism; s++) {
      const range = keyGroupRangeFor(MAX_P, parallelism, s);
      const b =
        kind === 'heap'
          ? new HeapStateBackend(range)
          : await RocksDbStateBackend.open(join(root, `db-${n++}`), range, {
              memoryBytes: 32 << 20,
              writeCacheEntries: 500,
            });
      open.push(b);
      out.push(b);
    }
    return out;
  }

  const owner = (bs: KeyedStateBackend[], key: string) => {
    const kg = keyGroupOf(key, MAX_P);
    const b = bs.find((x) => kg >= x.range.start && kg <= x.range.end)!;
    b.setCurrentKey(key, kg);
    return b;
  };

  function fill(bs: KeyedStateBackend[], round: number, from = 0, to = KEYS): void {
    for (let i = from; i < to; i++) {
      const key = `key-${i}`;
      const b = owner(bs, key);
      b.valueState<string>('counter', 'v').update(`v${i}-r${round}`);
      if (i % 3 === 0) b.mapState<string, number>('window', 'm').put(`w${i % 7}`, i * round);
    }
  }

  /** Decoded canonical contents, order-insensitive: `kg/uid/name` → sorted entries. */
  function contents(groups: Iterable<[number, TableSnapshot[]]>): Record<string, unknown> {
    const out: Record<string, Array<[string, unknown]>> = {};
    for (const [kg, tables] of groups) {
      for (const [uid, name, kind, entries] of tables) {
        const rows = entries.map(([k, v]): [string, unknown] => [
          k,
          kind === 'map' ? [...(v as Array<[string, unknown]>)].sort((a, b) => a[0].localeCompare(b[0])) : v,
        ]);
        out[`${kg}/${uid}/${name}`] = (out[`${kg}/${uid}/${name}`] ?? [])
          .concat(rows)
          .sort((a, b) => a[0].localeCompare(b[0]));
      }
    }
    return out;
  }
  const stateOf = (bs: KeyedStateBackend[]) =>
    contents(
      bs.flatMap((b) =>
        [...b.snapshot()].map(([kg, p]): [number, TableSnapshot[]] => [
          kg,
          decodePayload(p) as TableSnapshot[],
        ]),
      ),
    );

  /**
   * Takes a savepoint of `bs` (one worker per backend) into `dir`: RocksDB backends as streams
   * opened now, heap ones as payloads; `during` runs while the files are written.
   */
  async function savepoint(
    dir: string,
    id: number,
    bs: KeyedStateBackend[],
    during: () => Promise<void> = async () => {},
    onSection: () => void = () => {},
  ) {
    const parts: SnapshotPart[][] = bs.map((b, s) => [
      {
        stage: 1,
        keyed: b instanceof RocksDbStateBackend ? new Map() : b.snapshot(),
        ...(b instanceof RocksDbStateBackend ? { keyedStream: b.snapshotStream() } : {}),
        operator: [{ uid: 'source', state: { subtask: s } }],
        durable: Promise.resolve(),
        final: false,
      },
    ]);
    const req = { id, kind: 'savepoint' as const, path: dir, triggeredAt: new Date().toISOString() };
    const [acks] = await Promise.all([
      Promise.all(
        parts.map((p, s) =>
          writeWorkerSnapshot(
            store,
            req,
            {
              subtask: s,
              parallelism: bs.length,
              maxParallelism: MAX_P,
              keyGroupRange: bs[s]!.range,
              workDir: work,
            },
            p,
            { onSection },
          ),
        ),
      ),
      during(),
    ]);
    await putMetadata(dir, id, acks);
    expect(readdirSync(work)).toEqual([]);
    return acks;
  }

  async function putMetadata(dir: string, id: number, acks: CheckpointAck[]): Promise<void> {
    await writeMetadataOnce(env.minio, env.bucket, dir, {
      formatVersion: METADATA_FORMAT_VERSION,
      id,
      kind: 'savepoint',
      job: { namespace: 'ns', name: 'sp', uid: 'uid-sp' },
      maxParallelism: MAX_P,
      parallelism: acks.length,
      attempt: 0,
      workers: acks,
      bytes: acks.reduce((s, a) => s + a.bytes, 0),
      triggeredAt: new Date().toISOString(),
      completedAt: new Date().toISOString(),
    });
  }

  /** Restores `dir` into `bs` (one worker per backend), section by section. @returns sections read per worker */
  async function restore(dir: string, bs: KeyedStateBackend[]): Promise<number[]> {
    const counts: number[] = [];
    for (let s = 0; s < bs.length; s++) {
      const r = await openRestoredState(
        store,
        dir,
        { subtask: s, parallelism: bs.length, maxParallelism: MAX_P },
        trust(),
        work,
      );
      try {
        expect(r.operatorStates.get('source')).toEqual(
          [...Array(r.metadata.parallelism).keys()].map((i) => ({ subtask: i })),
        );
        const backendOf = new Map([
          ['counter', bs[s]!],
          ['window', bs[s]!],
        ]);
        const { sections, unclaimed } = await restoreKeyedSections(r.keyedSections(), backendOf);
        expect(unclaimed.size).toBe(0);
        counts.push(sections);
      } finally {
        await r.close();
      }
      expect(readdirSync(work)).toEqual([]);
    }
    return counts;
  }

  it('RocksDB → savepoint holds the barrier state while writes go on → RocksDB (p 1) and heap (p 3)', async () => {
    const src = await backends('rocksdb', 2);
    fill(src, 1);
    const atBarrier = stateOf(src);
    const dir = `${prefix}/savepoints/sp-1`;
    let writesDuring = 0;
    const writtenAt: number[] = [];
    const during = async () => {
      // The task keeps processing after the barrier: overwrite every key and add new ones, in
      // slices that interleave with the writer's section-by-section reads and uploads.
      for (let i = 0; i < KEYS + 2000; i += 500) {
        fill(src, 2, i, i + 500);
        writesDuring += 500;
        await new Promise((r) => setImmediate(r));
      }
    };
    await savepoint(dir, 1, src, during, () => writtenAt.push(writesDuring));
    expect(writesDuring).toBe(KEYS + 2000);
    // Writes really happened while sections were read: some sections were written after some
    // of the later writes and before the last of them.
    expect(writtenAt.some((w) => w > 0 && w < KEYS + 2000)).toBe(true);
    expect(stateOf(src)).not.toEqual(atBarrier);

    const one = await backends('rocksdb', 1);
    expect(await restore(dir, one)).toEqual([128]);
    expect(stateOf(one)).toEqual(atBarrier);
    const three = await backends('heap', 3);
    expect((await restore(dir, three)).reduce((a, b) => a + b)).toBe(128);
    expect(stateOf(three)).toEqual(atBarrier);
  });

  it('heap → savepoint → RocksDB (p 2 → 3)', async () => {
    const src = await backends('heap', 2);
    fill(src, 5);
    const dir = `${prefix}/savepoints/sp-2`;
    await savepoint(dir, 2, src);
    const dst = await backends('rocksdb', 3);
    await restore(dir, dst);
    expect(stateOf(dst)).toEqual(stateOf(src));
  });

  it('finds a damaged section, by the file sha256 or by the section sha256, and leaves no file', async () => {
    const src = await backends('rocksdb', 1);
    fill(src, 3, 0, 2000);
    const dir = `${prefix}/savepoints/sp-3`;
    const [ack] = await savepoint(dir, 3, src);
    const key = `${dir}/${workerStateFile(0)}`;
    const file = await store.get(key);
    const opened = await openSnapshotFile(bufferReader(file), 'f');
    const victim = opened.header.sections.find((e) => e.keyGroup === 77)!;
    file[opened.dataOffset + victim.offset + 3]! ^= 0xff;
    await store.put(key, file);
    const me = { subtask: 0, parallelism: 1, maxParallelism: MAX_P };
    // _metadata lists the original sha256: found at download, the damaged section named.
    const err = await openRestoredState(store, dir, me, trust(), work).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotCorruptedError);
    expect((err as SnapshotCorruptedError).section).toBe('kg/77/1');
    expect(readdirSync(work)).toEqual([]);

    // A foreign savepoint whose _metadata matches the damaged file: found when the section is read.
    const dir2 = `${prefix}/savepoints/sp-4`;
    await store.put(`${dir2}/${workerStateFile(0)}`, file);
    const { createHash } = await import('node:crypto');
    await putMetadata(dir2, 3, [
      {
        ...ack!,
        files: [
          {
            key: workerStateFile(0),
            bytes: file.length,
            sha256: createHash('sha256').update(file).digest('hex'),
          },
        ],
      },
    ]);
    const r = await openRestoredState(store, dir2, me, trust(), work);
    const dst = await backends('rocksdb', 1);
    const restored = restoreKeyedSections(
      r.keyedSections(),
      new Map([
        ['counter', dst[0]!],
        ['window', dst[0]!],
      ]),
    );
    await expect(restored).rejects.toThrow(SnapshotCorruptedError);
    await expect(restored).rejects.toThrow(/section kg\/77\/1: sha256 mismatch/);
    await r.close();
    expect(readdirSync(work)).toEqual([]);
  });

  it('removes its temporary file when the savepoint fails', async () => {
    const [b] = await backends('rocksdb', 1);
    fill([b!], 1, 0, 1000);
    const stream = (b as RocksDbStateBackend).snapshotStream();
    await b!.close(); // the worker stopped while the savepoint was being written
    const part: SnapshotPart = {
      stage: 1,
      keyed: new Map(),
      keyedStream: stream,
      operator: [],
      durable: Promise.resolve(),
      final: false,
    };
    await expect(
      writeWorkerSnapshot(
        store,
        {
          id: 9,
          kind: 'savepoint',
          path: `${prefix}/savepoints/sp-9`,
          triggeredAt: new Date().toISOString(),
        },
        { subtask: 0, parallelism: 1, maxParallelism: MAX_P, keyGroupRange: b!.range, workDir: work },
        [part],
      ),
    ).rejects.toThrow();
    expect(readdirSync(work)).toEqual([]);
    expect(await store.size(`${prefix}/savepoints/sp-9/${workerStateFile(0)}`)).toBeUndefined();
  });
});
