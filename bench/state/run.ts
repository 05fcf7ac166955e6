/**
 * State-backend benchmark (docs/benchmarks.md "State backends"): the RocksDB keyed-state backend
 * with incremental checkpoints (docs/state.md) against the heap backend, on real worker processes
 * (test/harness LocalJob, local control mode) and a private MinIO on loopback.
 *
 *   node bench/state/run.ts [--only incremental,flink,memory,throughput] [--out bench/results/state.json]
 *     incremental: [--keys 1000000,10000000] [--update-fraction 0.01] [--rounds 10]
 *                  [--incremental-memory-mib 256]
 *     memory:      [--limit-mib 512] [--memory-keys 50000000]
 *                  [--memory-step 5000000] [--memory-max-minutes 30] [--memory-rounds 10]
 *     throughput:  [--wordcount-lines 3000000] [--nexmark-events 10000000] [--nexmark-query nexmark-q5]
 *     [--keep-logs] [--help]
 *
 *   1. incremental.ts — one worker, rocksdb incremental: load N keys, checkpoint, then rounds of
 *      "update 1 % of the keys, checkpoint": duration and uploaded vs full bytes per checkpoint;
 *   1b. flink-side.ts — the same incremental scenario on Apache Flink 2.3.0's RocksDB backend
 *      (bench/flink/run.sh --scenarios state-incremental), same keys, rounds and RocksDB budget;
 *   2. memory.ts — a worker as in a container of --limit-mib: rocksdb with the operator's memory
 *      plan for that limit, heap with the limit less the runtime reserve as its V8 old space;
 *      peak RSS while loading up to
 *      --memory-keys keys, or where the worker dies;
 *   3. throughput — the built-in wordcount and one Nexmark query at parallelism 1 on heap and on
 *      rocksdb, one after the other in this run, same input and the same CPU counting as
 *      bench/runtime (bench/runtime/lib.ts measureThroughput).
 *
 * Prints every figure and writes them with their provenance (collect-provenance.ts) after every
 * scenario. Figures are indicative: one machine, possibly shared (the load average is recorded).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { collectProvenance, loadAverage } from '../collect-provenance.ts';
import {
  QUIET_WORKER_ENV,
  engineVersion,
  machineInfo,
  measureThroughput,
  startBenchEnv,
  type BenchEnv,
} from '../runtime/lib.ts';
import { runFlinkIncremental } from './flink-side.ts';
import { measureIncremental } from './incremental.ts';
import { measureMemory } from './memory.ts';
import { printResults, type StateResults, type StateThroughput } from './report.ts';
import { printUsageAndExit } from '../usage.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'incremental,flink,memory,throughput' },
    out: { type: 'string', default: resolve(import.meta.dirname, '..', 'results', 'state.json') },
    keys: { type: 'string', default: '1000000,10000000' },
    'update-fraction': { type: 'string', default: '0.01' },
    rounds: { type: 'string', default: '10' },
    'incremental-memory-mib': { type: 'string', default: '256' },
    'limit-mib': { type: 'string', default: '512' },
    'memory-keys': { type: 'string', default: '50000000' },
    'memory-step': { type: 'string', default: '5000000' },
    'memory-max-minutes': { type: 'string', default: '30' },
    'memory-rounds': { type: 'string', default: '10' },
    'wordcount-lines': { type: 'string', default: '3000000' },
    'nexmark-events': { type: 'string', default: '10000000' },
    'nexmark-query': { type: 'string', default: 'nexmark-q5' },
    'keep-logs': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) printUsageAndExit(import.meta.filename);

/** Parses a positive number argument. @throws Error naming the option */
function positive(name: string, v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
}
const num = (name: keyof typeof values) => positive(name, String(values[name]));

const only = new Set(values.only.split(',').map((s) => s.trim()));
for (const s of only)
  if (!['incremental', 'flink', 'memory', 'throughput'].includes(s))
    throw new Error(`--only: unknown scenario ${s}`);
const KEYS = values.keys.split(',').map((k) => positive('keys', k.trim()));
const UPDATE_FRACTION = num('update-fraction');
const ROUNDS = num('rounds');
const MIB = 2 ** 20;
const NEXMARK_QUERY = values['nexmark-query'];
if (!/^nexmark-q[01257]$/.test(NEXMARK_QUERY))
  throw new Error(`--nexmark-query: unknown query ${NEXMARK_QUERY}`);

const provenance = collectProvenance(values, {
  keyedValueJob: 'bench/state/keyed-value-job.ts: key k<i>, value {n, updates}, parallelism 1',
  wordcount: { partitions: 4, seed: 1, vocabulary: 1000, wordsPerLine: 8 },
  nexmark: 'built-in query defaults (collect-provenance.ts benchmarkInputs)',
});

const results: StateResults = {
  engine: 'sluice',
  version: engineVersion(),
  runtime: `node ${process.version}`,
  machine: machineInfo(),
  provenance,
  incremental: [],
  memory: [],
  throughput: [],
  notes: [
    'One worker process per job (test/harness LocalJob, local control mode); checkpoints by the test harness LocalCoordinator (the operator’s protocol: request, acks, _metadata, commit) to a private MinIO on loopback, which the Flink side (bucket flink-state) writes to as well; workers, MinIO and this driver share the machine.',
    'incremental: bench/state/keyed-value-job.ts at parallelism 1, rocksdb with incremental checkpoints. durationMs = trigger (request PUT) → every ack polled (every 20 ms), _metadata written and commit delivered, the coordinator’s clock; workerDurationMs = the worker’s own request → ack. bytes = ack.bytes (all files the snapshot references: the full state); uploadedBytes = ack.uploadedBytes (files new in this checkpoint). Updated keys are spread over the whole key space (keyed-value-job.ts keyIndex).',
    'memory: no cgroup enforces the limit; peak RSS is VmHWM of /proc/<pid>/status (the kernel’s high-water mark of the resident set), VmRSS sampled every 200 ms besides. rocksdb: the environment the operator gives a rocksdb worker with that limit (operator/src/streamjob/state-backend.ts workerMemoryPlan: SLUICE_STATE_MEMORY_BYTES and --max-old-space-size each 0.4 × (limit − 192 MiB), MALLOC_ARENA_MAX=2). heap: --max-old-space-size = limit − 192 MiB, the whole of the memory the runtime does not reserve for itself.',
    'throughput: as bench/runtime (input events/s between 10 % and 90 % of the input, per worker; cpuCores = CPU of the driver and the worker’s process tree ÷ wall time over the same interval), heap and rocksdb one after the other on the same input in this run; rocksdb with SLUICE_STATE_MEMORY_BYTES = the operator’s default (256 MiB), incremental checkpoints on (no checkpoint is taken during a throughput run).',
  ],
};

function save(): void {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
}

const say = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

async function incremental(env: BenchEnv): Promise<void> {
  for (const keys of KEYS) {
    say(`▶ incremental checkpoints, ${keys} keys, ${ROUNDS} rounds of ${UPDATE_FRACTION * 100} % updates`);
    results.incremental.push(
      await measureIncremental(env, {
        keys,
        updateFraction: UPDATE_FRACTION,
        rounds: ROUNDS,
        memoryBytes: num('incremental-memory-mib') * MIB,
        workerEnv: { NODE_OPTIONS: `--no-warnings --max-old-space-size=${keys > 2_000_000 ? 8192 : 4096}` },
        progress: (l) => say(`  ${l}`),
      }),
    );
    save();
  }
}

async function memory(env: BenchEnv): Promise<void> {
  for (const backend of ['rocksdb', 'heap'] as const) {
    say(`▶ memory: ${backend} in a ${values['limit-mib']} MiB budget, up to ${values['memory-keys']} keys`);
    results.memory.push(
      await measureMemory(env, {
        backend,
        limitBytes: num('limit-mib') * MIB,
        targetKeys: num('memory-keys'),
        stepKeys: backend === 'heap' ? Math.min(num('memory-step'), 500_000) : num('memory-step'),
        maxSeconds: num('memory-max-minutes') * 60,
        checkpointRounds: num('memory-rounds'),
        updateFraction: UPDATE_FRACTION,
        progress: (l) => say(`  ${l}`),
      }),
    );
    save();
  }
}

async function throughput(env: BenchEnv): Promise<void> {
  const jobs = [
    {
      job: 'wordcount',
      events: num('wordcount-lines'),
      config: { input: { generator: { lines: num('wordcount-lines') } }, output: { discard: {} } },
    },
    {
      job: NEXMARK_QUERY,
      events: num('nexmark-events'),
      config: { events: num('nexmark-events'), output: { discard: {} } },
    },
  ];
  for (const j of jobs) {
    for (const backend of ['heap', 'rocksdb'] as const) {
      say(`▶ throughput ${j.job} p=1 on ${backend}: ${j.events} events`);
      const stateDir = join(env.work, `state-throughput-${j.job}-${backend}`);
      const r = await measureThroughput(env, {
        name: `${j.job}-${backend}`,
        entry: j.job,
        config: j.config,
        parallelism: 1,
        events: j.events,
        counter: (s) => s.recordsRead,
        workerEnv: {
          ...QUIET_WORKER_ENV,
          SLUICE_STATE_BACKEND: backend,
          ...(backend === 'rocksdb' ? { SLUICE_STATE_DIR: stateDir, SLUICE_STATE_INCREMENTAL: 'true' } : {}),
          ...(backend === 'rocksdb' ? { SLUICE_STATE_MEMORY_BYTES: String(256 * MIB) } : {}),
        },
      });
      const t: StateThroughput = {
        job: j.job,
        backend,
        parallelism: 1,
        events: j.events,
        eventsPerSecondPerWorker: Math.round(r.eventsPerSecondPerWorker),
        cpuCores: r.steady.cpuCores === undefined ? null : Number(r.steady.cpuCores.toFixed(2)),
        eventsPerCpuSecond:
          r.steady.eventsPerCpuSecond === undefined ? null : Math.round(r.steady.eventsPerCpuSecond),
        steadySeconds: Number(r.steady.seconds.toFixed(2)),
        wholeRunSeconds: Number(r.wholeRunSeconds.toFixed(2)),
      };
      results.throughput.push(t);
      save();
      say(`  ${t.eventsPerSecondPerWorker} events/s, ${t.cpuCores} cores, ${t.eventsPerCpuSecond} per CPU-s`);
    }
  }
}

/** Bucket of the Flink side's checkpoints in the run's MinIO. */
const FLINK_BUCKET = 'flink-state';

async function main(): Promise<void> {
  const t0 = performance.now();
  say(
    `State backend benchmark: ${results.version}, ${results.runtime}, ${results.machine.cpus} CPUs (${results.machine.model}); load average ${provenance.loadAverage.start.join(' ')}`,
  );
  const env = await startBenchEnv(values['keep-logs']);
  try {
    if (only.has('incremental')) await incremental(env);
    if (only.has('flink')) {
      say(`▶ Flink's RocksDB backend, incremental checkpoints: ${KEYS.join(', ')} keys (bench/flink/run.sh)`);
      // The MinIO process Sluice's side writes to, in a bucket of Flink's own.
      await env.client.makeBucket(FLINK_BUCKET);
      const { endPoint, port, accessKey, secretKey } = env.minio.info;
      results.flink = await runFlinkIncremental({
        keys: KEYS,
        updateFraction: UPDATE_FRACTION,
        rounds: ROUNDS,
        managedMiB: num('incremental-memory-mib'),
        s3: { endpoint: `http://${endPoint}:${port}`, accessKey, secretKey, bucket: FLINK_BUCKET },
      });
      save();
    }
    if (only.has('memory')) await memory(env);
    if (only.has('throughput')) await throughput(env);
  } finally {
    await env.close();
  }
  provenance.loadAverage.end = loadAverage();
  save();
  printResults(results);
  say(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s; results in ${values.out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
