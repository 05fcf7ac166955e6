/**
 * Worker storage retries (docs/runtime.md "Storage retries") on real worker processes and a real
 * MinIO behind a loopback outage proxy (test/harness/outage-proxy.ts): the workers reach MinIO
 * only through the proxy, the coordinator (LocalCoordinator, `_metadata`) and the assertions
 * directly.
 *
 *  - storage refuses connections for 3 s while a checkpoint is taken (sink part uploads and
 *    commits meet the outage): the workers retry, that checkpoint completes, and the job finishes
 *    with its output exactly once;
 *  - the same with a job whose only storage call in the checkpoint is the snapshot upload (no
 *    sink output): the upload of every worker's state file is retried until storage is back;
 *  - wrong credentials (403 InvalidAccessKeyId) are not retried: the worker fails at once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobPrefix } from '@sluice/api/layout.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { expectFinishedAt } from '../harness/local-job-expect.ts';
import {
  LocalCoordinator,
  LocalJob,
  readCommittedOutput,
  type LocalJobOptions,
} from '../harness/local-workers.ts';
import { OutageProxy } from '../harness/outage-proxy.ts';
import { corpus, expectExactlyOnce, reference } from '../harness/wordcount-reference.ts';

const LONG = 180_000;

describe('runtime: storage outages are retried (real MinIO behind an outage proxy)', () => {
  let env: TestEnv;
  let proxy: OutageProxy;
  let logDir: string;
  let expected: string[];
  const jobs: LocalJob[] = [];

  beforeAll(async () => {
    env = await setupTestEnv('runtime-s3-outage');
    proxy = await OutageProxy.start(env.state.minio.url);
    logDir = mkdtempSync(join(tmpdir(), 'sluice-s3-outage-'));
    const texts = corpus(4, 300, 31);
    for (const [name, text] of texts)
      await env.minio.putObject(env.bucket, `corpus/${name}`, Buffer.from(text));
    expected = reference(texts.values());
  }, LONG);

  afterEach(async () => {
    await proxy.restore();
    await Promise.all(jobs.splice(0).map((j) => j.stop()));
  }, LONG);

  afterAll(async () => {
    await proxy.stop();
    await env.cleanup();
  }, LONG);

  function options(name: string, over: Partial<LocalJobOptions> = {}): LocalJobOptions {
    return {
      name,
      entry: 'wordcount',
      // 100 lines/s per worker: about 6 s of input, so records and sink uploads are in flight
      // during the outage; 2 KiB parts, so the sink uploads often.
      config: {
        input: { s3: { prefix: 'corpus/', rate: 100 } },
        output: { s3: { prefix: `${name}-out/`, rollBytes: 2048 } },
      },
      parallelism: 2,
      attempt: 0,
      minio: { ...env.state.minio, url: proxy.url(env.state.minio.url) },
      bucket: env.bucket,
      storagePrefix: jobPrefix('sluice', 'local', name, `${name}-uid`),
      logDir,
      ...over,
    };
  }

  async function start(o: LocalJobOptions): Promise<LocalJob> {
    const job = await LocalJob.start(o);
    jobs.push(job);
    return job;
  }

  it(
    'completes a checkpoint taken while storage refuses connections for 3 s; the output is exactly once',
    async () => {
      const o = options('s3out');
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      await new Promise((r) => setTimeout(r, 500));
      await coord.checkpoint(job);

      await proxy.outage();
      const during = coord.checkpoint(job, { timeoutMs: 90_000, timeoutSeconds: 60 });
      during.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 3000));
      // Still running, and nothing acked while storage is down.
      expect(job.workers.map((w) => job.hasExited(w.index))).toEqual([false, false]);
      await proxy.restore();
      const chk = await during;
      expect(chk.id).toBe(2);
      expect(chk.metadata.workers.map((a) => a.subtask).sort()).toEqual([0, 1]);

      // The outage did reach the workers: each retried calls that met refused or reset connections.
      for (const w of job.workers) {
        const retries = job.logLines(w.index).filter((l) => l.msg === 'storage call failed; retrying');
        expect(retries.some((l) => /ECONNREFUSED|ECONNRESET/.test(String(l.err)))).toBe(true);
      }

      await job.waitSourcesExhausted();
      const final = await coord.checkpoint(job);
      await expectFinishedAt(job, final.id);
      const out = await readCommittedOutput<{ word: string; count: number }>(
        env.minio,
        env.bucket,
        's3out-out/',
      );
      expectExactlyOnce(out, expected);
    },
    LONG,
  );

  it(
    'retries the snapshot upload of every worker until storage is back',
    async () => {
      const o = options('s3snap', {
        config: { input: { s3: { prefix: 'corpus/', rate: 100 } }, output: { discard: {} } },
      });
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      await coord.checkpoint(job);
      await proxy.outage();
      const during = coord.checkpoint(job, { timeoutMs: 90_000, timeoutSeconds: 60 });
      during.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 3000));
      await proxy.restore();
      const chk = await during;
      for (const w of job.workers) {
        const retried = job
          .logLines(w.index)
          .filter((l) => l.msg === 'storage call failed; retrying')
          .map((l) => l.call);
        expect(retried).toContain(`PUT s3://${env.bucket}/${chk.path}/state-${w.index}.snap`);
      }
      expect(chk.metadata.workers.map((a) => a.bytes).every((b) => b > 0)).toBe(true);
      await job.waitSourcesExhausted();
      await expectFinishedAt(job, (await coord.checkpoint(job)).id);
    },
    LONG,
  );

  it(
    'does not retry wrong credentials (403): the worker fails at once, after one attempt',
    async () => {
      const o = options('s3denied', { parallelism: 1 });
      const started = Date.now();
      const job = await start({ ...o, minio: { ...o.minio, accessKey: 'no-such-access-key' } });
      const exit = await job.workers[0]!.exit;
      expect(exit.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      const fatal = job.fatal(0);
      expect(fatal).toMatchObject({ level: 'fatal', event: 'worker-failed', reason: 'ObjectStoreError' });
      expect(String(fatal?.msg)).toMatch(/^LIST s3:\/\/\S+ failed: InvalidAccessKeyId: /);
      expect(job.logLines(0).filter((l) => l.msg === 'storage call failed; retrying')).toEqual([]);
    },
    LONG,
  );
});
