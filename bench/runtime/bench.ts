/**
 * Keyed-count benchmark alone (the full suite is run.ts): local worker processes, real TCP
 * shuffle, a private MinIO.
 *
 *   node bench/runtime/bench.ts [--records 4000000] [--keys 1000000] [--parallelism 2] [--repeats 1]
 *
 * Prints
 *   - throughput: records/s per worker through source → keyBy shuffle → keyed count
 *     (steady state: between 10 % and 90 % of the records);
 *   - checkpoint at `keys` keys: duration from request to the last ack (coordinator view) and
 *     each worker's own figure, total bytes (compressed snapshot files);
 *   - restore: wall time from spawning a new attempt restoring that checkpoint to all workers
 *     running (vs. a fresh start), and each worker's snapshot load time.
 * With --repeats n, n checkpoints of the same state and n restores (medians printed).
 * Figures are indicative. Benchmarks print; tests never assert timings.
 */
import { parseArgs } from 'node:util';
import { fmt, measureCheckpoint, median, mib, startBenchEnv } from './lib.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '4000000' },
    keys: { type: 'string', default: '1000000' },
    parallelism: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '1' },
  },
});
const RECORDS = Number(values.records);
const KEYS = Number(values.keys);
const P = Number(values.parallelism);
const REPEATS = Number(values.repeats);

async function main(): Promise<void> {
  console.log(
    `runtime benchmark: ${fmt(RECORDS)} records, ${fmt(KEYS)} keys, parallelism ${P}, node ${process.version}`,
  );
  const env = await startBenchEnv();
  try {
    const r = await measureCheckpoint(env, {
      keys: KEYS,
      records: RECORDS,
      parallelism: P,
      repeats: REPEATS,
    });
    console.log(
      `\nthroughput (source → shuffle → keyed count), steady state between 10 % and 90 % of the records: ${
        r.fillRecordsPerSecondPerWorker === null
          ? 'too fast to sample'
          : `${fmt(r.fillRecordsPerSecondPerWorker)} records/s per worker`
      }`,
    );
    console.log(
      `\ncheckpoint at ${fmt(KEYS)} keys: ${median(r.durationsMs).toFixed(0)} ms (request → last ack${
        REPEATS > 1 ? `, median of ${r.durationsMs.map((d) => d.toFixed(0)).join(', ')}` : ''
      }), ${mib(r.bytes)} (${fmt(r.bytes)} bytes)`,
    );
    r.workerDurationsMs.forEach((d, i) => console.log(`  worker ${i}: ${d} ms`));
    console.log(
      `\nrestore of ${fmt(r.restoredEntries)} keys: ${median(r.restoresMs).toFixed(0)} ms spawn → all running${
        REPEATS > 1 ? ` (median of ${r.restoresMs.map((d) => d.toFixed(0)).join(', ')})` : ''
      } (fresh start without state: ${median(r.freshStartsMs).toFixed(0)} ms)`,
    );
    r.workerLoadMs.forEach((d, i) => console.log(`  worker ${i}: snapshot loaded in ${d} ms`));
  } finally {
    await env.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
