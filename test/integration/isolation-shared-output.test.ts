/**
 * Two jobs writing under one output prefix (docs/runtime.md "Exactly-once S3 sink"): the sink's
 * start-up cleanup deletes only its own job's part files of earlier attempts, never another
 * job's pending output. Local worker processes over a real MinIO; this test plays the
 * checkpoint coordinator.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobPrefix } from '@sluice/api/layout.ts';
import { waitFor } from '../harness/operator.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { expectFinishedAt } from '../harness/local-job-expect.ts';
import {
  LocalCoordinator,
  LocalJob,
  listKeys,
  readCommittedOutput,
  type LocalJobOptions,
} from '../harness/local-workers.ts';
import { corpus, expectExactlyOnce, reference } from '../harness/wordcount-reference.ts';

const LONG = 240_000;
const OUT = 'shared-out/';

describe('runtime: jobs sharing an S3 output prefix', () => {
  let env: TestEnv;
  let logDir: string;
  let texts: Map<string, string>;
  const jobs: LocalJob[] = [];

  beforeAll(async () => {
    env = await setupTestEnv('isolation-shared-output');
    logDir = mkdtempSync(join(tmpdir(), 'sluice-shared-out-'));
    texts = corpus(3, 1500, 11);
    for (const [name, text] of texts)
      await env.minio.putObject(env.bucket, `corpus/${name}`, Buffer.from(text));
  }, LONG);

  afterAll(async () => {
    await Promise.all(jobs.map((j) => j.stop()));
    await env?.cleanup();
  }, LONG);

  const options = (name: string, uid: string, attempt: number, rate: number): LocalJobOptions => ({
    name,
    uid,
    entry: 'wordcount',
    config: {
      input: { s3: { prefix: 'corpus/', rate } },
      output: { s3: { prefix: OUT, rollBytes: 1024 } },
    },
    parallelism: 1,
    attempt,
    minio: env.state.minio,
    bucket: env.bucket,
    storagePrefix: jobPrefix('sluice', 'local', name, uid),
    logDir,
  });
  const start = async (o: LocalJobOptions) => {
    const job = await LocalJob.start(o);
    jobs.push(job);
    await job.waitRunning();
    return job;
  };
  const pendingOf = async (uid: string) =>
    (await listKeys(env.minio, env.bucket, `${OUT}_tmp/`)).filter((k) => k.includes(`part-${uid}-a`));

  it(
    "keeps another job's pending part files when a job starts a later attempt under the same prefix",
    async () => {
      const a = await start(options('job-a', '0c3e5a6e-aaaa-4aaa-8aaa-00000000000a', 0, 400));
      const coord = new LocalCoordinator(env.minio, env.bucket, a.options.storagePrefix);
      // Job a has uploaded in-progress part files (rolled every KiB), not yet committed.
      const before = await waitFor(
        'pending part files of job a',
        async () => {
          const keys = await pendingOf('0c3e5a6e-aaaa-4aaa-8aaa-00000000000a');
          return keys.length >= 2 && keys;
        },
        60_000,
        200,
      );

      // Job b restarts as attempt 3: its subtask 0 cleans up earlier attempts' part files on open.
      const b = await start(options('job-b', '0c3e5a6e-bbbb-4bbb-8bbb-00000000000b', 3, 50));
      expect(b.logLines(0).some((l) => l.msg === 'sink recovered pending output')).toBe(false);
      const after = await listKeys(env.minio, env.bucket, OUT);
      for (const k of before) expect(after).toContain(k);

      // Job a's output is complete and exactly once.
      await a.waitSourcesExhausted();
      const final = await coord.checkpoint(a);
      await expectFinishedAt(a, final.id);
      const out = await readCommittedOutput<{ word: string; count: number }>(env.minio, env.bucket, OUT);
      expectExactlyOnce(out, reference(texts.values()));
    },
    LONG,
  );
});
