/**
 * The built-in Nexmark queries on local workers (real TCP shuffle, real MinIO), compared with
 * the straightforward references of test/harness/nexmark-reference.ts computed from the
 * generator's events: Q0, Q1, Q2 and Q7 at parallelism 2, and Q5 stopped with a savepoint
 * mid-stream at parallelism 2 and finished at parallelism 3 — window state and watermarks across
 * a rescaled restore.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobPrefix } from '@sluice/api/layout.ts';
import { nexmarkConfig, nexmarkEvent } from '../../runtime-image/src/nexmark/generator.ts';
import type { Bid } from '../../runtime-image/src/nexmark/model.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
import {
  canonicalRows,
  q0Reference,
  q1Reference,
  q2Reference,
  q5Reference,
  q7Reference,
} from '../harness/nexmark-reference.ts';
import { expectFinishedAt } from '../harness/local-job-expect.ts';
import {
  LocalCoordinator,
  LocalJob,
  readCommittedOutput,
  type LocalJobOptions,
} from '../harness/local-workers.ts';

const LONG = 240_000;
const NEXMARK = { seed: 5, eventsPerSecond: 10_000, baseTime: Date.UTC(2025, 0, 1) };
const EVENTS = 40_000;

function bids(): Bid[] {
  const c = nexmarkConfig(NEXMARK);
  const out: Bid[] = [];
  for (let n = 0; n < EVENTS; n++) {
    const e = nexmarkEvent(c, n);
    if (e.type === 'bid') out.push(e.bid);
  }
  return out;
}

describe('runtime: nexmark queries', () => {
  let env: TestEnv;
  let logDir: string;
  let allBids: Bid[];
  const jobs: LocalJob[] = [];

  beforeAll(async () => {
    env = await setupTestEnv('runtime-nexmark');
    logDir = mkdtempSync(join(tmpdir(), 'sluice-nexmark-'));
    allBids = bids();
  }, LONG);

  afterEach(async () => {
    await Promise.all(jobs.splice(0).map((j) => j.stop()));
  }, LONG);

  afterAll(() => env.cleanup(), LONG);

  function options(name: string, entry: string, config: object, parallelism: number): LocalJobOptions {
    return {
      name,
      entry,
      config: {
        nexmark: NEXMARK,
        events: EVENTS,
        partitions: 4,
        ...config,
        output: { s3: { prefix: `${name}/` } },
      },
      parallelism,
      attempt: 0,
      minio: env.state.minio,
      bucket: env.bucket,
      storagePrefix: jobPrefix('sluice', 'local', name, `${name}-uid`),
      logDir,
    };
  }

  /** Runs `entry` at parallelism 2 to the end of the input and returns its committed output. */
  async function runToEnd(
    name: string,
    entry: string,
    config: object,
    expectedRows: number,
  ): Promise<object[]> {
    const o = options(name, entry, config, 2);
    const job = await LocalJob.start(o);
    jobs.push(job);
    await job.waitRunning();
    await job.waitSourcesExhausted();
    await job.waitFor(
      'all rows written',
      (s) => s.reduce((n, x) => n + (x?.recordsWritten ?? 0), 0) === expectedRows,
    );
    const chk = await new LocalCoordinator(env.minio, env.bucket, o.storagePrefix).checkpoint(job);
    await expectFinishedAt(job, chk.id);
    return readCommittedOutput<object>(env.minio, env.bucket, `${name}/`);
  }

  it(
    'Q0 (pass-through), Q1 (euro prices) and Q2 (auction % 123 = 0) at parallelism 2 equal the references',
    async () => {
      for (const [name, entry, reference] of [
        ['q0', 'nexmark-q0', q0Reference],
        ['q1', 'nexmark-q1', q1Reference],
        ['q2', 'nexmark-q2', q2Reference],
      ] as const) {
        const expected = canonicalRows(reference(allBids));
        const out = await runToEnd(name, entry, {}, expected.length);
        expect(canonicalRows(out)).toEqual(expected);
      }
      expect(q2Reference(allBids).length).toBeGreaterThan(10);
    },
    LONG,
  );

  it(
    'Q0 at parallelism 2 over one partition: the worker without input waits for the other, both finish at the first checkpoint final for both',
    async () => {
      // No shuffle joins the two workers, so they end their input at different checkpoints.
      const o = options('q0-uneven', 'nexmark-q0', { partitions: 1, rate: 4000 }, 2);
      const job = await LocalJob.start(o);
      jobs.push(job);
      await job.waitRunning();
      await job.waitFor('worker 1 (no split) exhausted', (s) => s[1]?.sourceExhausted === true);
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const first = await coord.checkpoint(job);
      expect(first.metadata.workers.map((a) => a.final === true)).toEqual([false, true]);

      await job.waitSourcesExhausted();
      const expected = canonicalRows(q0Reference(allBids));
      await job.waitFor('all rows written', (s) => (s[0]?.recordsWritten ?? 0) === expected.length);
      // Worker 1 committed checkpoint 1 and is still there to take this one.
      const last = await coord.checkpoint(job);
      expect(last.metadata.workers.map((a) => a.final === true)).toEqual([true, true]);
      await expectFinishedAt(job, last.id);
      const out = await readCommittedOutput<object>(env.minio, env.bucket, 'q0-uneven/');
      expect(canonicalRows(out)).toEqual(expected);
    },
    LONG,
  );

  it(
    'Q7 (highest bids joined back) at parallelism 2 equals the reference',
    async () => {
      const expected = canonicalRows(q7Reference(allBids, 1000));
      const out = await runToEnd('q7', 'nexmark-q7', { windowMs: 1000 }, expected.length);
      expect(expected.length).toBeGreaterThanOrEqual(4);
      expect(canonicalRows(out)).toEqual(expected);
    },
    LONG,
  );

  it(
    'Q5 (hot items) stopped with a savepoint at parallelism 2 and finished at 3 equals the reference',
    async () => {
      const o = options('q5', 'nexmark-q5', { windowMs: 2000, slideMs: 500, rate: 8000 }, 2);
      const coord = new LocalCoordinator(env.minio, env.bucket, o.storagePrefix);
      const job = await LocalJob.start(o);
      jobs.push(job);
      await job.waitRunning();
      await job.waitFor('some windows fired', (s) => s.some((x) => (x?.recordsWritten ?? 0) > 0), 60_000);
      const sp = await coord.checkpoint(job, { kind: 'savepoint', stop: true });
      for (const w of job.workers) expect((await w.exit).code).toBe(0);
      const partial = await readCommittedOutput<object>(env.minio, env.bucket, 'q5/');
      const expected = canonicalRows(q5Reference(allBids, 2000, 500));
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(expected.length);

      const job2 = await LocalJob.start({ ...o, parallelism: 3, attempt: 1, restoreFrom: sp.path });
      jobs.push(job2);
      await job2.waitRunning();
      await job2.waitSourcesExhausted();
      await job2.waitFor(
        'all windows fired',
        (s) => partial.length + s.reduce((n, x) => n + (x?.recordsWritten ?? 0), 0) === expected.length,
      );
      const chk = await coord.checkpoint(job2);
      await expectFinishedAt(job2, chk.id);
      const out = await readCommittedOutput<object>(env.minio, env.bucket, 'q5/');
      expect(canonicalRows(out)).toEqual(expected);
    },
    LONG,
  );
});
