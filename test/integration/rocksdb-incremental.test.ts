/**
 * Incremental RocksDB checkpoints on a real RocksDB and a real MinIO (docs/state.md
 * "Incremental checkpoints"): the second checkpoint uploads only what changed and references the
 * first one's files; a restore rebuilds the database from storage; a shared file whose bytes
 * changed in storage is found by its sha256 before the database is opened; uploads of a
 * checkpoint that did not complete are not reused; and the operator's garbage collection deletes
 * exactly the shared files no checkpoint in storage references.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { checkpointDir, jobPrefix, metadataKey, sharedStateDir } from '@sluice/api/layout.ts';
import { METADATA_FORMAT_VERSION, type SnapshotMetadata } from '@sluice/api/metadata.ts';
import { collectSharedFiles } from '../../operator/src/checkpoint/shared-state-store.ts';
import { StorageClient } from '../../operator/src/s3/storage-client.ts';
import { ObjectStore } from '../../runtime-image/src/io/object-store.ts';
import { SnapshotCorruptedError } from '../../runtime-image/src/checkpoint/snapshot-codec.ts';
import {
  IncrementalUploads,
  type UploadedCheckpoint,
} from '../../runtime-image/src/state/rocksdb/incremental-checkpoint.ts';
import { downloadIncrementalState } from '../../runtime-image/src/state/rocksdb/incremental-restore.ts';
import { makeJob } from '../harness/operator-fixtures.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';

/** The part of @nxtedition/rocksdb's RocksLevel (abstract-level) this test uses. */
interface Level {
  readonly handle: bigint;
  open(): Promise<void>;
  close(): Promise<void>;
  batch(ops: Array<{ type: 'put'; key: string; value: string }>): Promise<void>;
  iterator(): { all(): Promise<Array<[string, string]>> };
}
const { RocksLevel } = createRequire(import.meta.url)('@nxtedition/rocksdb') as {
  RocksLevel: new (location: string) => Level;
};

const KEYS = 50_000;
const value = (i: number, round: number) => `value-${i}-${round}-`.padEnd(64, 'x');

describe('incremental RocksDB checkpoints on MinIO', () => {
  let env: TestEnv;
  let store: ObjectStore;
  let dir: string;
  let db: Level;
  const prefix = jobPrefix('sluice', 'ns', 'wc', 'uid-rocks');
  const deadline = () => Date.now() + 60_000;

  beforeAll(async () => {
    env = await setupTestEnv('rocksdb-inc');
    store = new ObjectStore(env.minio, env.bucket);
    dir = mkdtempSync(join(tmpdir(), 'sluice-rocks-'));
    db = new RocksLevel(join(dir, 'db'));
    await db.open();
  });

  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
    await env.cleanup();
  });

  const uploads = () =>
    new IncrementalUploads({
      store,
      jobPrefix: prefix,
      workDir: join(dir, 'checkpoints'),
      instance: 's1-w0-test',
      stage: 1,
      keyGroupRange: { start: 0, end: 127 },
    });

  async function putKeys(from: number, to: number, round: number): Promise<void> {
    const ops: Array<{ type: 'put'; key: string; value: string }> = [];
    for (let i = from; i < to; i++) ops.push({ type: 'put', key: `key-${i}`, value: value(i, round) });
    await db.batch(ops);
  }

  async function sharedKeys(): Promise<string[]> {
    return (await store.list(`${sharedStateDir(prefix)}/`)).map((o) =>
      o.key.slice(sharedStateDir(prefix).length + 1),
    );
  }

  async function writeMetadata(id: number, up: UploadedCheckpoint): Promise<void> {
    const m: SnapshotMetadata = {
      formatVersion: METADATA_FORMAT_VERSION,
      id,
      kind: 'checkpoint',
      job: { namespace: 'ns', name: 'wc', uid: 'uid-rocks' },
      maxParallelism: 128,
      parallelism: 1,
      attempt: 1,
      workers: [
        {
          id,
          subtask: 0,
          bytes: up.totalBytes,
          uploadedBytes: up.uploadedBytes,
          files: [],
          sharedFiles: up.sharedFiles,
          keyGroupRange: { start: 0, end: 127 },
        },
      ],
      bytes: up.totalBytes,
      triggeredAt: '2026-12-06T00:00:00Z',
      completedAt: '2026-12-06T00:00:01Z',
    };
    const body = Buffer.from(JSON.stringify(m));
    await env.minio.putObject(env.bucket, metadataKey(checkpointDir(prefix, id)), body, body.length);
  }

  it('uploads only the change, restores from storage, and detects a corrupted file', async () => {
    const u = uploads();
    await putKeys(0, KEYS, 1);
    const first = await u.upload(u.capture(db, 1), deadline());
    u.committed(1);
    expect(first.sharedFiles.length).toBeGreaterThan(0);
    expect(first.uploadedBytes).toBeGreaterThan(100_000); // compressed SSTs of 50k keys
    expect(first.handle.private.map((p) => p.name)).toEqual(expect.arrayContaining(['CURRENT']));

    // 1 % of the keys change: the second checkpoint reuses the first one's files.
    await putKeys(0, KEYS / 100, 2);
    const second = await u.upload(u.capture(db, 2), deadline());
    u.committed(2);
    const firstKeys = new Set(first.sharedFiles.map((f) => f.key));
    expect(second.sharedFiles.some((f) => firstKeys.has(f.key))).toBe(true);
    expect(second.uploadedBytes).toBeLessThan(first.uploadedBytes / 5);
    expect(second.totalBytes).toBeGreaterThan(first.totalBytes * 0.9);

    // Restore: the database rebuilt from storage holds every key at its latest value.
    const restoredDir = join(dir, 'restored');
    const bytes = await downloadIncrementalState(store, prefix, second.handle, restoredDir);
    expect(bytes).toBe(second.totalBytes);
    const restored = new RocksLevel(restoredDir);
    await restored.open();
    try {
      const rows = await restored.iterator().all();
      expect(rows).toHaveLength(KEYS);
      for (const [k, v] of rows) {
        const i = Number(k.slice(4));
        expect(v).toBe(value(i, i < KEYS / 100 ? 2 : 1));
      }
    } finally {
      await restored.close();
    }

    // A shared file whose bytes changed in storage is refused before anything is opened.
    const victim = second.sharedFiles[0]!;
    const corrupt = Buffer.alloc(victim.bytes, 7);
    await env.minio.putObject(env.bucket, `${sharedStateDir(prefix)}/${victim.key}`, corrupt, corrupt.length);
    const err = await downloadIncrementalState(store, prefix, second.handle, join(dir, 'corrupt')).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SnapshotCorruptedError);
    expect((err as Error).message).toContain(victim.key);
    expect((err as Error).message).toMatch(/sha256/);
  });

  it('uploads again what a checkpoint that did not complete had uploaded', async () => {
    const u = uploads();
    await putKeys(KEYS, KEYS + 2000, 1);
    const third = await u.upload(u.capture(db, 3), deadline());
    const newIn3 = third.sharedFiles.filter((f) => f.key.includes('/3-')).map((f) => f.key.split('/3-')[1]);
    expect(newIn3.length).toBeGreaterThan(0);
    // 3 never completes; 4 must not reference 3's uploads but upload those files under its own id.
    const fourth = await u.upload(u.capture(db, 4), deadline());
    for (const name of newIn3) {
      expect(fourth.sharedFiles.some((f) => f.key.endsWith(`/4-${name}`))).toBe(true);
      expect(fourth.sharedFiles.some((f) => f.key.endsWith(`/3-${name}`))).toBe(false);
    }
  });

  it('garbage-collects exactly the shared files no checkpoint in storage references, whatever the deletion order', async () => {
    await env.minio.removeObjects(
      env.bucket,
      (await store.list(`${prefix}/`)).map((o) => o.key),
    );
    const u = uploads();
    // Eight checkpoints, each rewriting every key: flushes pile up level-0 files until RocksDB
    // compacts them, so early checkpoints' files disappear from later ones.
    const ids = [10, 11, 12, 13, 14, 15, 16, 17];
    const taken = new Map<number, UploadedCheckpoint>();
    for (const id of ids) {
      await putKeys(0, KEYS, id);
      const up = await u.upload(u.capture(db, id), deadline());
      u.committed(id);
      await writeMetadata(id, up);
      taken.set(id, up);
      await new Promise((r) => setTimeout(r, 200));
    }
    const keysOf = (id: number) => taken.get(id)!.sharedFiles.map((f) => f.key);
    const last = new Set(keysOf(17));
    expect(keysOf(10).some((k) => !last.has(k))).toBe(true);

    const s3 = new StorageClient({
      endpoint: env.state.minio.url,
      credentials: { accessKey: env.state.minio.accessKey, secretKey: env.state.minio.secretKey },
      timeoutMs: 10_000,
      signal: new AbortController().signal,
    });
    const job = makeJob();
    job.status = { checkpoints: { lastCompleted: { id: 17, path: checkpointDir(prefix, 17) } } };
    const storage = {
      endpoint: env.state.minio.url,
      bucket: env.bucket,
      prefix: 'sluice',
      jobPrefix: prefix,
      secretName: 'unused',
    };

    // Every checkpoint in storage: nothing goes.
    expect(await collectSharedFiles(job, storage, s3)).toEqual([]);
    // Delete the older checkpoints in a scrambled order; after each, every file a remaining
    // checkpoint references is still there.
    const remaining = new Set(ids);
    for (const id of [13, 10, 16, 11, 15, 12, 14]) {
      await env.minio.removeObjects(env.bucket, [metadataKey(checkpointDir(prefix, id))]);
      remaining.delete(id);
      await collectSharedFiles(job, storage, s3);
      const stored = new Set(await sharedKeys());
      for (const r of remaining) for (const k of keysOf(r)) expect(stored.has(k)).toBe(true);
    }
    expect((await sharedKeys()).sort()).toEqual([...last].sort());
  });
});
