/**
 * Runtime benchmark: local worker processes, real TCP shuffle, a private MinIO.
 *
 *   node bench/runtime/bench.ts [--records 4000000] [--keys 1000000] [--parallelism 2]
 *
 * Prints
 *   - throughput: records/s per worker through source → keyBy shuffle → keyed count
 *     (wall time from all workers running to every record processed);
 *   - checkpoint at `keys` keys: duration from request to the last ack (coordinator view) and
 *     each worker's own figure, total bytes (compressed snapshot files);
 *   - restore: wall time from spawning a new attempt restoring that checkpoint to all workers
 *     running (vs. a fresh start), and each worker's snapshot load time.
 * One run, no repetitions: figures are indicative. Benchmarks print; tests never assert timings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client as MinioClient } from 'minio';
import { jobPrefix } from '../../api/src/layout.ts';
import { LocalCoordinator, LocalJob, type LocalJobOptions } from '../../test/harness/local-workers.ts';
import { startMinio } from '../../test/harness/minio-server.ts';
import { stopServer } from '../../test/harness/process.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '4000000' },
    keys: { type: 'string', default: '1000000' },
    parallelism: { type: 'string', default: '2' },
  },
});
const RECORDS = Number(values.records);
const KEYS = Number(values.keys);
const P = Number(values.parallelism);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const minio = await startMinio(join(work, 'minio'));
  try {
    const client = new MinioClient(minio.info);
    await client.makeBucket('bench');
    const o: LocalJobOptions = {
      name: 'bench',
      entry: resolve(import.meta.dirname, 'count-job.ts'),
      config: { records: RECORDS, keys: KEYS },
      parallelism: P,
      attempt: 0,
      minio: minio.info,
      bucket: 'bench',
      storagePrefix: jobPrefix('sluice', 'bench', 'bench', 'uid'),
      logDir: join(work, 'logs'),
    };
    console.log(
      `runtime benchmark: ${fmt(RECORDS)} records, ${fmt(KEYS)} keys, parallelism ${P}, node ${process.version}`,
    );

    const t0 = performance.now();
    const job = await LocalJob.start(o);
    await job.waitRunning(120_000);
    const startMs = performance.now() - t0;
    // Sample the processed counts; the rate is taken between 10 % and 90 % of the records
    // (steady state: no process start, no tail).
    const samples: Array<{ t: number; perWorker: number[] }> = [];
    const tRun = performance.now();
    await job.waitFor(
      'all records processed',
      (s) => {
        const perWorker = s.map((x) => x?.recordsProcessed ?? 0);
        samples.push({ t: performance.now(), perWorker });
        return perWorker.reduce((a, b) => a + b, 0) >= RECORDS;
      },
      600_000,
    );
    const runMs = performance.now() - tRun;
    const total = (x: { perWorker: number[] }) => x.perWorker.reduce((a, b) => a + b, 0);
    const from = samples.find((x) => total(x) >= RECORDS * 0.1) ?? samples[0]!;
    const to =
      [...samples].reverse().find((x) => total(x) <= RECORDS * 0.9 && x.t > from.t) ??
      samples[samples.length - 1]!;
    const secs = (to.t - from.t) / 1000;
    console.log(
      `\nthroughput (source → shuffle → keyed count), steady state between ${fmt(total(from))} and ${fmt(total(to))} records (${secs.toFixed(2)} s; whole run ${(runMs / 1000).toFixed(2)} s):`,
    );
    for (let i = 0; i < P; i++) {
      console.log(`  worker ${i}: ${fmt((to.perWorker[i]! - from.perWorker[i]!) / secs)} records/s`);
    }
    console.log(`  total: ${fmt((total(to) - total(from)) / secs)} records/s`);

    const coord = new LocalCoordinator(client, 'bench', o.storagePrefix);
    const tc = performance.now();
    const chk = await coord.checkpoint(job, { timeoutMs: 300_000 });
    const chkMs = performance.now() - tc;
    console.log(
      `\ncheckpoint ${chk.id} at ${fmt(KEYS)} keys: ${chkMs.toFixed(0)} ms (request → last ack), ${mib(chk.metadata.bytes)} (${fmt(chk.metadata.bytes)} bytes)`,
    );
    for (let i = 0; i < P; i++) {
      const line = job.logLines(i).find((l) => l.msg === 'checkpoint acknowledged');
      console.log(`  worker ${i}: ${String(line?.durationMs)} ms, ${fmt(Number(line?.bytes))} bytes`);
    }
    await job.stop();

    const tf = performance.now();
    const fresh = await LocalJob.start({ ...o, attempt: 1, config: { records: 0, keys: KEYS } });
    await fresh.waitRunning(120_000);
    const freshMs = performance.now() - tf;
    await fresh.stop();

    const tr = performance.now();
    const restored = await LocalJob.start({
      ...o,
      attempt: 2,
      restoreFrom: chk.path,
      config: { records: 0, keys: KEYS },
    });
    const rs = await restored.waitRunning(300_000);
    const restoreMs = performance.now() - tr;
    console.log(
      `\nrestore of ${fmt(rs.reduce((n, s) => n + (s?.restoredEntries ?? 0), 0))} keys: ${restoreMs.toFixed(0)} ms spawn → all running (fresh start without state: ${freshMs.toFixed(0)} ms)`,
    );
    for (let i = 0; i < P; i++) {
      const line = restored.logLines(i).find((l) => l.msg === 'snapshot loaded');
      console.log(
        `  worker ${i}: snapshot loaded in ${String(line?.durationMs)} ms (${fmt(Number(line?.bytesRead))} bytes read)`,
      );
    }
    await restored.stop();
    console.log(`\n(first start incl. connecting peers: ${startMs.toFixed(0)} ms)`);
  } finally {
    await stopServer(minio.process);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
