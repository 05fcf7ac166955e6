/**
 * Restore failures of the worker runtime are clear: a corrupted snapshot (checksum mismatch)
 * stops the worker that reads it with a JSON fatal line naming the object and the section; a
 * directory without `_metadata` is refused as incomplete; a `_metadata` altered after the
 * coordinator signed it is refused naming its MAC, and a state file it lists that is gone is
 * refused naming the file and its subtask (docs/runtime.md "Restore"). Workers are local
 * processes on a real MinIO; the job has a snapshot key, with which the local coordinator signs.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobPrefix } from '@sluice/api/layout.ts';
import { bufferReader, openSnapshotFile } from '../../runtime-image/src/checkpoint/snapshot-codec.ts';
import { keyGroupRangeFor } from '../../runtime-image/src/core/keygroups.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import {
  LocalCoordinator,
  LocalJob,
  type CompletedSnapshot,
  type LocalJobOptions,
} from '../harness/local-workers.ts';

const LONG = 180_000;

async function getObject(env: TestEnv, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await env.minio.getObject(env.bucket, key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('runtime: restore errors', () => {
  let env: TestEnv;
  let base: LocalJobOptions;
  let snapshot: CompletedSnapshot;
  const jobs: LocalJob[] = [];

  beforeAll(async () => {
    env = await setupTestEnv('runtime-restore');
    base = {
      name: 'wcgen',
      entry: 'wordcount',
      config: {
        input: { generator: { lines: 4000, partitions: 4, vocabulary: 500 } },
        output: { s3: { prefix: 'out/' } },
      },
      parallelism: 2,
      attempt: 0,
      minio: env.state.minio,
      bucket: env.bucket,
      storagePrefix: jobPrefix('sluice', 'local', 'wcgen', 'uid-1'),
      logDir: mkdtempSync(join(tmpdir(), 'sluice-restore-')),
      snapshotKey: 'restore-errors-test-key-'.padEnd(48, 'k'),
    };
    const job = await LocalJob.start(base);
    jobs.push(job);
    await job.waitRunning();
    await job.waitSourcesExhausted();
    snapshot = await new LocalCoordinator(env.minio, env.bucket, base.storagePrefix).checkpoint(job);
    await job.stop();
  }, LONG);

  afterEach(async () => {
    await Promise.all(jobs.splice(0).map((j) => j.stop()));
  }, LONG);

  afterAll(() => env.cleanup(), LONG);

  it(
    'fails the restore with a clear error naming the corrupted object and section',
    async () => {
      const key = `${snapshot.path}/state-0.snap`;
      const original = await getObject(env, key);
      const opened = await openSnapshotFile(bufferReader(original), key);
      // A keyed section in the middle of worker 0's key groups (0..63 at parallelism 2).
      const mine = keyGroupRangeFor(128, 2, 0);
      const target = opened.header.sections.find(
        (s) => s.kind === 'keyed' && s.keyGroup! >= mine.start + 10,
      )!;
      expect(target).toBeDefined();
      const corrupt = Buffer.from(original);
      corrupt[opened.dataOffset + target.offset + Math.floor(target.length / 2)]! ^= 0x5a;
      await env.minio.putObject(env.bucket, key, corrupt);
      try {
        const job = await LocalJob.start({ ...base, attempt: 1, restoreFrom: snapshot.path });
        jobs.push(job);
        const exit = await job.workers[0]!.exit;
        expect(exit.code).toBe(1);
        const fatal = job.fatal(0);
        expect(fatal).toMatchObject({
          level: 'fatal',
          event: 'worker-failed',
          stage: 'restore',
          reason: 'SnapshotCorruptedError',
          object: `s3://${env.bucket}/${key}`,
          section: target.name,
        });
        expect(String(fatal?.msg)).toBe(
          `snapshot object s3://${env.bucket}/${key} is corrupted: section ${target.name}: sha256 mismatch ` +
            `(expected ${target.sha256}, got ${String(fatal?.msg).match(/got ([0-9a-f]{64})/)?.[1]}); ` +
            'restore from another checkpoint or savepoint',
        );
        // The fatal line is the process's last word.
        const lines = job.logLines(0);
        expect(lines[lines.length - 1]).toEqual(fatal);
      } finally {
        await env.minio.putObject(env.bucket, key, original);
      }
    },
    LONG,
  );

  it(
    'fails every worker when a snapshot header is corrupted',
    async () => {
      const key = `${snapshot.path}/state-1.snap`;
      const original = await getObject(env, key);
      const corrupt = Buffer.from(original);
      corrupt[60]! ^= 0x01;
      await env.minio.putObject(env.bucket, key, corrupt);
      try {
        const job = await LocalJob.start({ ...base, attempt: 2, restoreFrom: snapshot.path });
        jobs.push(job);
        for (const w of job.workers) {
          expect((await w.exit).code).toBe(1);
          expect(job.fatal(w.index)).toMatchObject({
            reason: 'SnapshotCorruptedError',
            object: `s3://${env.bucket}/${key}`,
            section: 'header',
          });
        }
      } finally {
        await env.minio.putObject(env.bucket, key, original);
      }
    },
    LONG,
  );

  it(
    'refuses a _metadata changed after it was signed, naming its MAC',
    async () => {
      // The forger's move: replace subtask 0's state file and make _metadata list its size
      // and hash, keeping the MAC the coordinator wrote (the forger has no key).
      const metaKey = `${snapshot.path}/_metadata`;
      const stateKey = `${snapshot.path}/state-0.snap`;
      const originalMeta = await getObject(env, metaKey);
      const originalState = await getObject(env, stateKey);
      const forgedState = Buffer.concat([originalState, Buffer.from('appended')]);
      const forged = JSON.parse(originalMeta.toString('utf8')) as typeof snapshot.metadata;
      expect(forged.mac).toMatch(/^[0-9a-f]{64}$/);
      forged.workers[0]!.files[0] = {
        key: 'state-0.snap',
        bytes: forgedState.length,
        sha256: createHash('sha256').update(forgedState).digest('hex'),
      };
      await env.minio.putObject(env.bucket, stateKey, forgedState);
      await env.minio.putObject(env.bucket, metaKey, Buffer.from(JSON.stringify(forged)));
      try {
        const job = await LocalJob.start({ ...base, attempt: 6, restoreFrom: snapshot.path });
        jobs.push(job);
        for (const w of job.workers) {
          expect((await w.exit).code).toBe(1);
          expect(job.fatal(w.index)).toMatchObject({ stage: 'restore', reason: 'RestoreError' });
          expect(String(job.fatal(w.index)?.msg)).toBe(
            `cannot restore s3://${env.bucket}/${snapshot.path}: s3://${env.bucket}/${metaKey}: MAC does not match ` +
              '(the document was altered or forged, or signed with another key)',
          );
        }
      } finally {
        await env.minio.putObject(env.bucket, stateKey, originalState);
        await env.minio.putObject(env.bucket, metaKey, originalMeta);
      }
    },
    LONG,
  );

  it(
    'refuses a snapshot whose state file is gone, naming the file and its subtask',
    async () => {
      const key = `${snapshot.path}/state-1.snap`;
      const original = await getObject(env, key);
      await env.minio.removeObject(env.bucket, key);
      try {
        const job = await LocalJob.start({ ...base, attempt: 7, restoreFrom: snapshot.path });
        jobs.push(job);
        for (const w of job.workers) {
          expect((await w.exit).code).toBe(1);
          expect(job.fatal(w.index)).toMatchObject({
            stage: 'restore',
            reason: 'SnapshotCorruptedError',
            object: `s3://${env.bucket}/${key}`,
          });
          expect(String(job.fatal(w.index)?.msg)).toBe(
            `snapshot object s3://${env.bucket}/${key} is corrupted: subtask 1's state file, listed in _metadata, ` +
              'does not exist; restore from another checkpoint or savepoint',
          );
        }
      } finally {
        await env.minio.putObject(env.bucket, key, original);
      }
    },
    LONG,
  );

  it(
    'refuses a state file of another size than _metadata lists, naming the file and its subtask',
    async () => {
      const key = `${snapshot.path}/state-0.snap`;
      const original = await getObject(env, key);
      await env.minio.putObject(env.bucket, key, original.subarray(0, original.length - 1));
      try {
        const job = await LocalJob.start({ ...base, parallelism: 1, attempt: 8, restoreFrom: snapshot.path });
        jobs.push(job);
        expect((await job.workers[0]!.exit).code).toBe(1);
        expect(String(job.fatal(0)?.msg)).toBe(
          `snapshot object s3://${env.bucket}/${key} is corrupted: subtask 0's state file is ${original.length - 1} bytes, ` +
            `_metadata lists ${original.length}; restore from another checkpoint or savepoint`,
        );
      } finally {
        await env.minio.putObject(env.bucket, key, original);
      }
    },
    LONG,
  );

  it(
    'refuses a directory without _metadata as an incomplete snapshot',
    async () => {
      const missing = `${base.storagePrefix}/checkpoints/chk-99`;
      const job = await LocalJob.start({ ...base, parallelism: 1, attempt: 3, restoreFrom: missing });
      jobs.push(job);
      expect((await job.workers[0]!.exit).code).toBe(1);
      expect(String(job.fatal(0)?.msg)).toBe(
        `s3://${env.bucket}/${missing}/_metadata does not exist: ${missing} is not a completed checkpoint or savepoint`,
      );
    },
    LONG,
  );

  it(
    'refuses a snapshot taken with another maxParallelism',
    async () => {
      const job = await LocalJob.start({
        ...base,
        maxParallelism: 256,
        attempt: 4,
        restoreFrom: snapshot.path,
      });
      jobs.push(job);
      expect((await job.workers[0]!.exit).code).toBe(1);
      expect(job.fatal(0)).toMatchObject({ reason: 'RestoreError' });
      expect(String(job.fatal(0)?.msg)).toMatch(/taken with maxParallelism 128, this job has 256/);
    },
    LONG,
  );

  it(
    "restores another job's snapshot without its MAC but still checks its files (spec.initialSavepoint)",
    async () => {
      // Another job (other uid, so other prefix, and another key): the snapshot is foreign.
      const other = {
        ...base,
        uid: 'uid-2',
        storagePrefix: jobPrefix('sluice', 'local', 'wcgen', 'uid-2'),
        snapshotKey: 'another-job-key-'.padEnd(48, 'x'),
      };
      const job = await LocalJob.start({ ...other, attempt: 1, restoreFrom: snapshot.path });
      jobs.push(job);
      await job.waitRunning();
      expect(job.logLines(0).find((l) => l.msg === 'snapshot loaded')).toMatchObject({
        authenticated: false,
      });
      await job.stop();

      // Its files are checked all the same.
      const key = `${snapshot.path}/state-1.snap`;
      const original = await getObject(env, key);
      const altered = Buffer.from(original);
      altered[altered.length - 1]! ^= 0x01;
      await env.minio.putObject(env.bucket, key, altered);
      try {
        const again = await LocalJob.start({
          ...other,
          parallelism: 1,
          attempt: 2,
          restoreFrom: snapshot.path,
        });
        jobs.push(again);
        expect((await again.workers[0]!.exit).code).toBe(1);
        expect(again.fatal(0)).toMatchObject({
          reason: 'SnapshotCorruptedError',
          object: `s3://${env.bucket}/${key}`,
        });
      } finally {
        await env.minio.putObject(env.bucket, key, original);
      }
    },
    LONG,
  );

  it(
    'restores cleanly from the intact snapshot',
    async () => {
      const job = await LocalJob.start({ ...base, attempt: 5, restoreFrom: snapshot.path });
      jobs.push(job);
      const s = await job.waitRunning();
      expect(s.every((x) => x?.restoredFrom === snapshot.path && x.restoredEntries > 0)).toBe(true);
      // The job's own snapshot, and the worker has the key: the MAC was checked.
      expect(job.logLines(0).find((l) => l.msg === 'snapshot loaded')).toMatchObject({ authenticated: true });
    },
    LONG,
  );
});
