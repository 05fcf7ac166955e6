/**
 * Sluice-only A/B of the Kafka throughput scenario (docs/benchmarks.md "Kafka in and out"), for
 * optimising the Kafka path (docs/runtime.md "Profile of the Kafka path"): one broker, one MinIO,
 * one input topic loaded once, then the Sluice Q1 job of two trees run interleaved (base, head,
 * head, base, base, head, …: the order alternates per repeat) on the same records, after one
 * warm-up run of base (reported, not counted: the first run after loading was 2–3× slower in
 * every A/B), each output read back and checked (exactly the expected
 * records, read_committed). No Flink side.
 *
 *   node bench/kafka/ab.ts --base <commit> [--head <commit>] [--records 1000000] [--partitions 4] [--parallelism 1]
 *     [--repeats 2] [--checkpoint-interval-ms 1000] [--out bench/results/kafka-ab.json]
 *     [--cpu-prof-dir <dir>]
 *
 * `base` is `git archive <commit>` unpacked in a temporary directory (its job module and Kafka
 * connectors; the worker's main and the harness are this tree's); `head` is this working tree,
 * or with `--head` another commit unpacked the same way (so the tree can change during a run).
 * Each run records wall time and worker CPU as `make bench-kafka` does (sluice-side.ts) and the
 * load average before and after it, since the machine may be shared. With `--cpu-prof-dir`,
 * every worker writes a V8 CPU profile there (`--cpu-prof`; named after the variant and run).
 *
 * Exit 1 when a run fails or an output does not hold exactly the expected records.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startKafkaBroker, type KafkaBroker } from '../../test/harness/kafka-broker.ts';
import { createTopic } from '../../test/harness/kafka-topics.ts';
import { collectProvenance, loadAverage } from '../collect-provenance.ts';
import { median, startBenchEnv, type BenchEnv } from '../runtime/lib.ts';
import { loadInput, readTopic } from './kafka-io.ts';
import { outputProblems } from './records.ts';
import { sluiceThroughput } from './sluice-side.ts';
import { printUsageAndExit } from '../usage.ts';

const root = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    head: { type: 'string' },
    records: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '4' },
    parallelism: { type: 'string', default: '1' },
    repeats: { type: 'string', default: '2' },
    'checkpoint-interval-ms': { type: 'string', default: '1000' },
    out: { type: 'string', default: 'bench/results/kafka-ab.json' },
    'cpu-prof-dir': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help || !values.base) printUsageAndExit(import.meta.filename, values.help ? 0 : 2);
const int = (k: 'records' | 'partitions' | 'parallelism' | 'repeats' | 'checkpoint-interval-ms') => {
  const n = Number(values[k]);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${k} must be a positive integer`);
  return n;
};
const records = int('records');
const partitions = int('partitions');
const parallelism = int('parallelism');
const repeats = int('repeats');
const checkpointIntervalMs = int('checkpoint-interval-ms');
const say = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

const trees: string[] = [];
/** `commit` unpacked in a temporary directory; returns the commit's full id and the directory. */
function unpack(rev: string): { commit: string; dir: string } {
  const commit = execSync(`git rev-parse ${rev}`, { cwd: root, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ab-'));
  trees.push(dir);
  execSync(`git archive ${commit} | tar -x -C ${dir}`, { cwd: root });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return { commit, dir };
}
const base = unpack(values.base);
const head = values.head ? unpack(values.head) : { commit: 'working tree', dir: root };
const baseCommit = base.commit;
const entries = {
  base: join(base.dir, 'bench/kafka/q1-job.ts'),
  head: join(head.dir, 'bench/kafka/q1-job.ts'),
};

const provenance = collectProvenance(
  {
    records,
    partitions,
    parallelism,
    repeats,
    checkpointIntervalMs,
    base: baseCommit,
    head: head.commit,
    out: values.out!,
  },
  { kafka: { records, partitions, generator: 'bench/kafka/records.ts bidAt', map: 'Nexmark Q1' } },
);
const runs: Array<Record<string, unknown>> = [];
let env: BenchEnv | undefined;
let broker: KafkaBroker | undefined;
try {
  env = await startBenchEnv(false);
  broker = await startKafkaBroker(join(env.work, 'kafka'));
  await createTopic(broker.bootstrap, 'ab-input', partitions);
  const expected = await loadInput(broker.bootstrap, 'ab-input', partitions, records, () => undefined);
  say(`loaded ${records} records; base ${baseCommit.slice(0, 7)}, head ${head.commit.slice(0, 7)}`);
  const order: Array<['base' | 'head', number | 'warm-up']> = [['base', 'warm-up']];
  for (let i = 0; i < repeats; i++)
    for (const v of i % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const))
      order.push([v, i]);
  for (const [variant, i] of order) {
    const output = `ab-out-${variant}-${i}`;
    await createTopic(broker.bootstrap, output, partitions);
    const loadBefore = loadAverage();
    const profDir = values['cpu-prof-dir'];
    const workerEnv = profDir
      ? {
          NODE_OPTIONS: `--no-warnings --cpu-prof --cpu-prof-dir=${resolve(profDir)} --cpu-prof-name=${variant}-${i}.cpuprofile`,
        }
      : undefined;
    const s = await sluiceThroughput(
      { env, bootstrap: broker.bootstrap, checkpointIntervalMs, ...(workerEnv ? { workerEnv } : {}) },
      { name: `ab-${variant}-${i}`, input: 'ab-input', output, parallelism, entry: entries[variant] },
    );
    const loadAfter = loadAverage();
    const got = await readTopic(broker.bootstrap, output, { expected: expected.count });
    const problems = outputProblems(`${variant} run ${i}`, expected.toJSON(), got.toJSON());
    if (problems.length) throw new Error(problems.join('\n'));
    const run = {
      variant,
      repeat: i,
      ...s,
      recordsPerSecond: records / s.wallSeconds,
      cpuMicrosecondsPerRecord: s.cpuSeconds === null ? null : (s.cpuSeconds * 1e6) / records,
      loadAverage: { before: loadBefore, after: loadAfter },
      check: 'exactly the expected records (read_committed)',
    };
    runs.push(run);
    say(
      `${variant} #${i}: ${s.wallSeconds.toFixed(2)} s, ${Math.round(run.recordsPerSecond)} records/s, ` +
        `CPU ${s.cpuSeconds?.toFixed(2)} s (${run.cpuMicrosecondsPerRecord?.toFixed(2)} µs/record), ` +
        `${s.checkpoints} checkpoints, load ${loadBefore[0]} → ${loadAfter[0]}`,
    );
  }
  for (const v of ['base', 'head'] as const) {
    const counted = runs.filter((r) => r.variant === v && r.repeat !== 'warm-up');
    const med = (k: string) => median(counted.map((r) => r[k] as number));
    say(
      `${v} median: ${med('wallSeconds').toFixed(2)} s wall, ${Math.round(med('recordsPerSecond'))} records/s, ` +
        `${med('cpuMicrosecondsPerRecord').toFixed(2)} µs CPU/record (${counted.length} runs)`,
    );
  }
} catch (err) {
  console.error(`kafka A/B failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await broker?.stop().catch(() => undefined);
  await env?.close().catch(() => undefined);
  for (const t of trees) rmSync(t, { recursive: true, force: true });
}
if (process.exitCode !== 1) {
  provenance.loadAverage.end = loadAverage();
  const out = resolve(root, values.out!);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ provenance, runs }, null, 2)}\n`);
  say(`wrote ${values.out}`);
}
