/**
 * The built-in Nexmark queries on local workers (real TCP shuffle, real MinIO), compared with
 * a reference computed here directly from the generator's events: Q7 (highest bid per tumbling
 * window) at parallelism 2, and Q5 (hot items over sliding windows) stopped with a savepoint
 * mid-stream at parallelism 2 and finished at parallelism 3 — window state and watermarks across
 * a rescaled restore.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobPrefix } from '../../api/src/layout.ts';
import { nexmarkConfig, nexmarkEvent } from '../../runtime-image/src/nexmark/generator.ts';
import type { Bid } from '../../runtime-image/src/nexmark/model.ts';
import { setupTestEnv, type TestEnv } from '../harness/env.ts';
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

/** Q7 reference: per tumbling window, the bid with the highest price (ties: earlier, lower auction, lower bidder). */
function q7Reference(all: Bid[], windowMs: number): string[] {
  const best = new Map<number, Bid>();
  for (const b of all) {
    const start = b.dateTime - (b.dateTime % windowMs);
    const cur = best.get(start);
    const better =
      !cur ||
      b.price > cur.price ||
      (b.price === cur.price &&
        (b.dateTime < cur.dateTime ||
          (b.dateTime === cur.dateTime &&
            (b.auction < cur.auction || (b.auction === cur.auction && b.bidder < cur.bidder)))));
    if (better) best.set(start, b);
  }
  return [...best].map(([start, b]) =>
    JSON.stringify({
      windowStart: start,
      windowEnd: start + windowMs,
      auction: b.auction,
      bidder: b.bidder,
      price: b.price,
      dateTime: b.dateTime,
    }),
  );
}

/** Q5 reference: per sliding window, the auction with most bids (ties: lower auction id). */
function q5Reference(all: Bid[], windowMs: number, slideMs: number): string[] {
  const counts = new Map<number, Map<number, number>>();
  for (const b of all) {
    const last = b.dateTime - (b.dateTime % slideMs);
    for (let start = last; start > b.dateTime - windowMs; start -= slideMs) {
      let m = counts.get(start);
      if (!m) counts.set(start, (m = new Map()));
      m.set(b.auction, (m.get(b.auction) ?? 0) + 1);
    }
  }
  const out: string[] = [];
  for (const [start, m] of counts) {
    let bestAuction = -1;
    let bestCount = -1;
    for (const [a, n] of m)
      if (n > bestCount || (n === bestCount && a < bestAuction)) [bestAuction, bestCount] = [a, n];
    out.push(
      JSON.stringify({
        auction: bestAuction,
        count: bestCount,
        windowStart: start,
        windowEnd: start + windowMs,
      }),
    );
  }
  return out;
}

const canonical = (records: object[]) => records.map((r) => JSON.stringify(r)).sort();

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

  it(
    'Q7 (highest bid) at parallelism 2 equals the reference',
    async () => {
      const o = options('q7', 'nexmark-q7', { windowMs: 1000 }, 2);
      const job = await LocalJob.start(o);
      jobs.push(job);
      await job.waitRunning();
      await job.waitSourcesExhausted();
      const expected = q7Reference(allBids, 1000).sort();
      await job.waitFor(
        'all windows fired',
        (s) => s.reduce((n, x) => n + (x?.recordsWritten ?? 0), 0) === expected.length,
      );
      const chk = await new LocalCoordinator(env.minio, env.bucket, o.storagePrefix).checkpoint(job);
      await expectFinishedAt(job, chk.id);
      const out = await readCommittedOutput<object>(env.minio, env.bucket, 'q7/');
      expect(expected.length).toBe(4);
      expect(canonical(out)).toEqual(expected);
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
      const expected = q5Reference(allBids, 2000, 500).sort();
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
      expect(canonical(out)).toEqual(expected);
    },
    LONG,
  );
});
