/**
 * The worker runtime end to end, as local processes over a real TCP shuffle and a real MinIO:
 * wordcount at parallelism 3 against a reference count computed here; a worker killed with
 * SIGKILL and the job restored from the last completed checkpoint, with heap and with RocksDB
 * keyed state (full checkpoints); a stop-with-savepoint at
 * parallelism 2 restored at parallelism 3. Every assertion is on the committed output data.
 *
 * The wordcount job emits {word, count} after every occurrence, so its exact failure-free output
 * is, for each word w occurring n_w times, the records (w, 1) … (w, n_w) — once each. Any lost or
 * replayed-and-committed-twice record shows up as a missing or duplicate pair.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobPrefix } from '@sluice/api/layout.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import { expectFinishedAt } from '../harness/local-job-expect.ts';
import {
  LocalCoordinator,
  LocalJob,
  listKeys,
  readCommittedOutput,
  type LocalJobOptions,
} from '../harness/local-workers.ts';
import { expectExactlyOnce, reference as wordcountReference } from '../harness/wordcount-reference.ts';

interface Count {
  word: string;
  count: number;
}

const VOCABULARY = [
  'stream',
  'Barrier',
  'checkpoint',
  'KEY',
  'group',
  'sluice',
  'straße',
  'γάμμα',
  'данные',
  'naïve',
  'x1',
  '42',
];

/** A deterministic corpus: `objects` text objects of `lines` lines, mixed case, punctuation, Unicode. */
function corpus(objects: number, lines: number, seed: number): Map<string, string> {
  let s = seed >>> 0;
  const rnd = () => {
    // Numerical Recipes LCG; only needs to be deterministic here.
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const seps = [' ', ' ', ' ', ', ', '; ', ' -- ', '! ', '\t'];
  const out = new Map<string, string>();
  for (let o = 0; o < objects; o++) {
    const text: string[] = [];
    for (let l = 0; l < lines; l++) {
      const n = 1 + Math.floor(rnd() * 12);
      let line = '';
      for (let i = 0; i < n; i++) {
        const u = rnd();
        const w =
          u < 0.3 ? VOCABULARY[Math.floor(rnd() * VOCABULARY.length)]! : `word${Math.floor(400 * u * u)}`;
        line += w + seps[Math.floor(rnd() * seps.length)]!;
      }
      text.push(rnd() < 0.05 ? '' : line);
    }
    out.set(
      `part-${String(o).padStart(2, '0')}.txt`,
      text.join(o % 2 === 0 ? '\n' : '\r\n') + (o === 1 ? '' : '\n'),
    );
  }
  return out;
}

/** Per-test timeout (ms); the suite starts several worker processes per test on a shared 2-core machine. */
const LONG = 240_000;

describe('runtime: exactly-once wordcount over S3', () => {
  let env: TestEnv;
  let logDir: string;
  let texts: Map<string, string>;
  let reference: string[];
  const jobs: LocalJob[] = [];

  beforeAll(async () => {
    env = await setupTestEnv('runtime-eo');
    logDir = mkdtempSync(join(tmpdir(), 'sluice-runtime-'));
    texts = corpus(6, 900, 7);
    for (const [name, text] of texts)
      await env.minio.putObject(env.bucket, `corpus/${name}`, Buffer.from(text));
    reference = wordcountReference(texts.values());
  }, LONG);

  afterEach(async () => {
    await Promise.all(jobs.splice(0).map((j) => j.stop()));
  }, LONG);

  afterAll(() => env.cleanup(), LONG);

  function options(
    name: string,
    over: Partial<LocalJobOptions> & { rate?: number; rollBytes?: number },
  ): LocalJobOptions {
    const { rate, rollBytes, ...rest } = over;
    return {
      name,
      entry: 'wordcount',
      config: {
        input: { s3: { prefix: 'corpus/', ...(rate ? { rate } : {}) } },
        output: { s3: { prefix: `${name}-out/`, ...(rollBytes ? { rollBytes } : {}) } },
      },
      parallelism: 3,
      attempt: 0,
      minio: env.state.minio,
      bucket: env.bucket,
      storagePrefix: jobPrefix('sluice', 'local', name, `${name}-uid`),
      logDir,
      ...rest,
    };
  }

  async function start(o: LocalJobOptions): Promise<LocalJob> {
    const job = await LocalJob.start(o);
    jobs.push(job);
    return job;
  }

  it(
    'counts a corpus at parallelism 3 exactly like the reference, and publishes only at commit',
    async () => {
      const o = options('wc3', {});
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      const exhausted = await job.waitSourcesExhausted();
      // Each object is read by exactly one worker.
      expect(exhausted.reduce((n, s) => n + (s?.splits ?? 0), 0)).toBe(texts.size);
      // Output is written, but nothing is visible before a checkpoint is committed.
      await job.waitFor(
        'all records written',
        (s) => s.reduce((n, x) => n + (x?.recordsWritten ?? 0), 0) === reference.length,
      );
      expect(await readCommittedOutput(env.minio, env.bucket, 'wc3-out/')).toEqual([]);

      const chk = await coord.checkpoint(job);
      expect(chk.metadata.workers.map((a) => a.subtask)).toEqual([0, 1, 2]);
      await expectFinishedAt(job, chk.id);
      const out = await readCommittedOutput<Count>(env.minio, env.bucket, 'wc3-out/');
      expectExactlyOnce(out, reference);
      // Output came from all three workers (key groups spread over them).
      const parts = (await listKeys(env.minio, env.bucket, 'wc3-out/')).filter((k) => !k.includes('_tmp/'));
      expect(new Set(parts.map((k) => /-s(\d)-/.exec(k)?.[1])).size).toBe(3);
    },
    LONG,
  );

  it.each(['heap', 'rocksdb'] as const)(
    '%s state: restores all workers from the last completed checkpoint after one is killed with SIGKILL: no loss, no duplicates',
    async (backend) => {
      const name = backend === 'heap' ? 'wckill' : 'wckill-rocksdb';
      // RocksDB: each worker keeps its state in its own directory (SLUICE_STATE_DIR), reused by the restore.
      const stateDirs = [0, 1, 2].map((i) => join(logDir, `${name}-state-${i}`));
      const stateEnv =
        backend === 'rocksdb'
          ? {
              env: { SLUICE_STATE_BACKEND: 'rocksdb', SLUICE_STATE_MEMORY_BYTES: String(16 << 20) },
              workerEnv: (i: number) => ({ SLUICE_STATE_DIR: stateDirs[i]! }),
            }
          : {};
      const stageDirs = (i: number) => (existsSync(stateDirs[i]!) ? readdirSync(stateDirs[i]!) : []);
      const o = options(name, { rate: 300, rollBytes: 2048, ...stateEnv });
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      if (backend === 'rocksdb') {
        for (const i of [0, 1, 2])
          expect(stageDirs(i)).toEqual([expect.stringMatching(`^s1-w${i}-[0-9a-f]{8}$`)]);
      }
      const attempt0Dirs = [0, 1, 2].map(stageDirs);
      // Periodic checkpoints while the (rate-limited) sources are still reading.
      for (let i = 0; i < 2; i++) {
        await new Promise((r) => setTimeout(r, 350));
        await coord.checkpoint(job);
      }
      await job.waitFor('commit of checkpoint 2 applied', (s) => s.every((x) => x?.lastCommitted === 2));
      // Checkpoint 3 completes (its _metadata is written) but the workers never hear of it, as if
      // the coordinator lost them right then: its output stays pending and must be committed by
      // the restore.
      await new Promise((r) => setTimeout(r, 350));
      const last = await coord.checkpoint(job, { deliverCommit: false });
      expect(last.id).toBe(3);
      if (backend === 'rocksdb') {
        // Incremental checkpoints (the default): every worker's state is in shared files, which
        // the restore below downloads (reuse across checkpoints: rocksdb-incremental.test.ts).
        expect(last.metadata.workers.every((w) => (w.sharedFiles ?? []).length > 0)).toBe(true);
        expect(last.metadata.workers.every((w) => (w.uploadedBytes ?? w.bytes) <= w.bytes)).toBe(true);
      }
      await new Promise((r) => setTimeout(r, 400));
      const before = await job.statuses();
      expect(before.some((s) => s && !s.sourceExhausted)).toBe(true);
      job.kill(1, 'SIGKILL');

      // The survivors lose their shuffle connections and fail on their own (a survivor may notice the
      // other survivor's exit first; the first to fail can only have seen worker 1 go).
      const messages: string[] = [];
      for (const i of [0, 2]) {
        const exit = await job.workers[i]!.exit;
        expect(exit.code).toBe(1);
        const fatal = job.fatal(i);
        expect(fatal).toMatchObject({ level: 'fatal', event: 'worker-failed', reason: 'ShuffleError' });
        expect(String(fatal?.msg)).toMatch(/^shuffle connection (to|from) worker \d.* was lost$/);
        messages.push(String(fatal?.msg));
      }
      expect(messages.some((m) => /worker 1\b/.test(m))).toBe(true);
      expect((await job.workers[1]!.exit).signal).toBe('SIGKILL');
      // Attempt 0 left output after the checkpoint that was never committed.
      const orphans = (await listKeys(env.minio, env.bucket, `${name}-out/_tmp/`)).filter((k) =>
        /^part-.+-a0-s\d+-/.test(k.slice(k.lastIndexOf('/') + 1)),
      );
      expect(orphans.length).toBeGreaterThan(0);

      const job2 = await start({
        ...o,
        attempt: 1,
        restoreFrom: last.path,
        config: options(name, {}).config,
      });
      await job2.waitRunning();
      if (backend === 'rocksdb') {
        // Each worker restored into a fresh directory and removed its earlier one (the killed worker's too).
        for (const i of [0, 1, 2]) {
          const dirs = stageDirs(i);
          expect(dirs).toEqual([expect.stringMatching(`^s1-w${i}-[0-9a-f]{8}$`)]);
          expect(dirs).not.toEqual(attempt0Dirs[i]);
        }
      }
      const restored = await job2.statuses();
      expect(restored.every((s) => s?.restoredFrom === last.path)).toBe(true);
      expect(restored.reduce((n, s) => n + (s?.restoredEntries ?? 0), 0)).toBeGreaterThan(0);
      await job2.waitSourcesExhausted();
      const final = await coord.checkpoint(job2);
      await expectFinishedAt(job2, final.id);

      const out = await readCommittedOutput<Count>(env.minio, env.bucket, `${name}-out/`);
      expectExactlyOnce(out, reference);
      // The failed attempt's uncommitted part files were discarded.
      const left = (await listKeys(env.minio, env.bucket, `${name}-out/_tmp/`)).filter((k) =>
        /^part-.+-a0-s\d+-/.test(k.slice(k.lastIndexOf('/') + 1)),
      );
      expect(left).toEqual([]);
    },
    LONG,
  );

  /** Environment of a job on `backend` (RocksDB: a state directory per worker under the log dir). */
  function stateOptions(backend: 'heap' | 'rocksdb', name: string): Partial<LocalJobOptions> {
    if (backend === 'heap') return {};
    return {
      env: { SLUICE_STATE_BACKEND: 'rocksdb', SLUICE_STATE_MEMORY_BYTES: String(16 << 20) },
      workerEnv: (i: number) => ({ SLUICE_STATE_DIR: join(logDir, `${name}-state-${i}`) }),
    };
  }

  it.each([
    ['heap', 'heap', 'savepoint'],
    ['rocksdb', 'rocksdb', 'checkpoint'],
    ['heap', 'rocksdb', 'savepoint'],
    ['rocksdb', 'heap', 'savepoint'],
    ['rocksdb', 'rocksdb', 'savepoint'],
  ] as const)(
    'rescales 2 → 3 from %s to %s state through a %s and continues the counts',
    async (from, to, via) => {
      const name = `wcscale-${from}-${to}-${via}`;
      const o = options(name, { rate: 900, parallelism: 2, ...stateOptions(from, name) });
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await start(o);
      await job.waitRunning();
      await new Promise((r) => setTimeout(r, 400));
      await coord.checkpoint(job);
      await new Promise((r) => setTimeout(r, 600));
      let source;
      if (via === 'savepoint') {
        source = await coord.checkpoint(job, { kind: 'savepoint', stop: true });
        expect(source.path).toMatch(/\/savepoints\/sp-2-[0-9a-f]+$/);
        for (const w of job.workers) expect(await w.exit).toEqual({ code: 0, signal: null });
      } else {
        // An incremental RocksDB checkpoint, then the workers go: a 2 → 3 restore copies the
        // key groups out of the old workers' databases.
        source = await coord.checkpoint(job);
        expect(source.metadata.workers.every((w) => (w.sharedFiles ?? []).length > 0)).toBe(true);
        await job.stop();
      }

      // The snapshot was taken mid-stream: only part of the output is committed.
      const partial = await readCommittedOutput<Count>(env.minio, env.bucket, `${name}-out/`);
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(reference.length);

      const job2 = await start({
        ...o,
        ...stateOptions(to, `${name}-2`),
        parallelism: 3,
        attempt: 1,
        restoreFrom: source.path,
      });
      const running = await job2.waitRunning();
      // Key groups 86..127 belonged to old worker 1 and now live on new worker 2.
      expect(running.every((s) => (s?.restoredEntries ?? 0) > 0)).toBe(true);
      await job2.waitSourcesExhausted();
      const final = await coord.checkpoint(job2);
      await expectFinishedAt(job2, final.id);
      const out = await readCommittedOutput<Count>(env.minio, env.bucket, `${name}-out/`);
      expectExactlyOnce(out, reference);
    },
    LONG,
  );
});
