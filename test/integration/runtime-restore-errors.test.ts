/**
 * Restore failures of the worker runtime are clear: a corrupted snapshot (checksum mismatch)
 * stops the worker that reads it with a JSON fatal line naming the object and the section; a
 * directory without `_metadata` is refused as incomplete. Workers are local processes on a
 * real MinIO.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobPrefix } from '../../api/src/layout.ts';
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
    'restores cleanly from the intact snapshot',
    async () => {
      const job = await LocalJob.start({ ...base, attempt: 5, restoreFrom: snapshot.path });
      jobs.push(job);
      const s = await job.waitRunning();
      expect(s.every((x) => x?.restoredFrom === snapshot.path && x.restoredEntries > 0)).toBe(true);
    },
    LONG,
  );
});
