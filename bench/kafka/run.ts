/**
 * `make bench-kafka` — Kafka in and out, exactly once: Sluice vs Apache Flink 2.3.0 on the same
 * broker, the same input topic and the same records, in one run (docs/benchmarks.md "Kafka in
 * and out (exactly once)").
 *
 *   node bench/kafka/run.ts [--records 10000000] [--partitions 4] [--parallelism 1,2]
 *     [--checkpoint-interval-ms 1000] [--latency-rate 5000] [--latency-records 100000]
 *     [--warmup-fraction 0.25] [--flink-heap 4g] [--scenarios throughput,latency]
 *     [--out bench/results/kafka.json] [--no-build] [--keep-logs]
 *
 * 1. builds bench/flink with Maven (unless --no-build);
 * 2. starts a Kafka 4.2.2 broker (KRaft, loopback; test/harness/kafka-broker.ts) and a private
 *    MinIO for both engines' checkpoints;
 * 3. loads `records` Nexmark bids (JSON, records.ts) once into the input topic, `partitions`
 *    partitions, round-robin;
 * 4. throughput, per parallelism: Sluice's Q1 job (worker processes), then Flink's (after a
 *    discarded warm-up job in the same JVM), each from the input topic's earliest offsets, bounded
 *    at its end, into its own output topic, exactly once, checkpointing every interval; each
 *    output is read back with read_committed and must hold exactly the expected records;
 * 5. latency, per parallelism and engine: a fresh input topic fed at `latency-rate` records/s,
 *    each record stamped with its produce time; latency = when the driver's read_committed
 *    consumer received the output record − that stamp;
 * 6. prints the table and the verdicts and writes the results file with its provenance.
 *
 * Exit 1 when any run fails or an output does not hold exactly the expected records (no results
 * file is written then).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startKafkaBroker, type KafkaBroker } from '../../test/harness/kafka-broker.ts';
import { createTopic } from '../../test/harness/kafka-topics.ts';
import { DEFAULT_NEXMARK } from '../../runtime-image/src/nexmark/generator.ts';
import { collectProvenance, loadAverage } from '../collect-provenance.ts';
import { startBenchEnv, type BenchEnv } from '../runtime/lib.ts';
import { flinkLatency, flinkThroughput, type FlinkSetup } from './flink-side.ts';
import { loadInput, readTopic, type LatencyReading } from './kafka-io.ts';
import { outputProblems, type ContentDigest } from './records.ts';
import {
  comparisonLines,
  rowProblems,
  throughputRow,
  verdicts,
  type Engine,
  type KafkaResults,
  type LatencyRow,
  type ThroughputRow,
} from './report.ts';
import { sluiceLatency, sluiceThroughput, type SluiceSetup } from './sluice-side.ts';
import { printUsageAndExit } from '../usage.ts';

const root = resolve(import.meta.dirname, '..', '..');

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    partitions: { type: 'string', default: '4' },
    parallelism: { type: 'string', default: '1,2' },
    'checkpoint-interval-ms': { type: 'string', default: '1000' },
    'latency-rate': { type: 'string', default: '5000' },
    'latency-records': { type: 'string', default: '100000' },
    'warmup-fraction': { type: 'string', default: '0.25' },
    'flink-heap': { type: 'string', default: '4g' },
    scenarios: { type: 'string', default: 'throughput,latency' },
    out: { type: 'string', default: 'bench/results/kafka.json' },
    'no-build': { type: 'boolean', default: false },
    'keep-logs': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) printUsageAndExit(import.meta.filename);

const positive = (k: keyof typeof values): number => {
  const n = Number(values[k]);
  if (!(Number.isInteger(n) && n > 0))
    throw new Error(`--${k} must be a positive integer, got ${String(values[k])}`);
  return n;
};
const records = positive('records');
const partitions = positive('partitions');
const checkpointIntervalMs = positive('checkpoint-interval-ms');
const latencyRate = positive('latency-rate');
const latencyRecords = positive('latency-records');
const warmupFraction = Number(values['warmup-fraction']);
if (!(warmupFraction >= 0 && warmupFraction <= 1)) throw new Error('--warmup-fraction must be in [0, 1]');
const parallelisms = values.parallelism.split(',').map(Number);
if (!parallelisms.every((p) => Number.isInteger(p) && p > 0 && p <= partitions))
  throw new Error(`--parallelism must list integers in 1…${partitions} (the partitions)`);
const scenarios = new Set(values.scenarios.split(','));
for (const s of scenarios)
  if (s !== 'throughput' && s !== 'latency') throw new Error(`unknown scenario ${s}`);

const say = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The first group of `re` in what `cmd args` prints (stdout and stderr: `java -version` uses stderr); 'unknown' when it does not run or match. */
function version(cmd: string, args: string[], re: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? 'unknown';
}

function pomProperty(name: string): string {
  const pom = readFileSync(join(root, 'bench/flink/pom.xml'), 'utf8');
  return new RegExp(`<${name}>([^<]+)</${name}>`).exec(pom)?.[1] ?? 'unknown';
}

const parameters = {
  records,
  partitions,
  parallelism: values.parallelism,
  checkpointIntervalMs,
  latencyRate,
  latencyRecords,
  warmupFraction,
  flinkHeap: values['flink-heap'],
  scenarios: values.scenarios,
  out: values.out,
  sampleIntervalMs: 100,
};
const provenance = collectProvenance(parameters, {
  kafka: {
    records,
    partitions,
    generator: 'Nexmark bids as JSON (bench/kafka/records.ts bidAt), record i to partition i mod partitions',
    nexmark: DEFAULT_NEXMARK,
    map: 'Nexmark Q1 (price × 0.908)',
  },
});
const javaVersion = version('java', ['-version'], /version "([^"]+)"/);
provenance.tools = {
  ...provenance.tools,
  java: javaVersion,
  flink: pomProperty('flink.version'),
  'flink-connector-kafka': pomProperty('flink.connector.kafka.version'),
  kafka:
    /^KAFKA_VERSION=(.+)$/m.exec(readFileSync(join(root, 'hack/versions.env'), 'utf8'))?.[1] ?? 'unknown',
  '@platformatic/kafka': (
    JSON.parse(readFileSync(join(root, 'node_modules/@platformatic/kafka/package.json'), 'utf8')) as {
      version: string;
    }
  ).version,
};

say(
  `run ${provenance.runId}, commit ${provenance.git.commit.slice(0, 7)}${provenance.git.dirty ? ' (dirty)' : ''}`,
);
say(
  `${fmt(records)} records, ${partitions} partitions, parallelism ${values.parallelism}, checkpoints every ${checkpointIntervalMs} ms`,
);

if (!values['no-build']) {
  say('building bench/flink with Maven');
  execFileSync(
    'mvn',
    [
      '-B',
      '-q',
      ...(process.env.MVN_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
      '-f',
      'bench/flink/pom.xml',
      '-DskipTests',
      'package',
    ],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}

// The Kafka client Flink's connector brought in (target/lib, copied by the build).
const libDir = join(root, 'bench/flink/target/lib');
const flinkKafkaClients = (existsSync(libDir) ? readdirSync(libDir, { withFileTypes: true }) : [])
  .map((d) => /^kafka-clients-(.+)\.jar$/.exec(d.name)?.[1])
  .find(Boolean);
provenance.tools['kafka-clients (Flink)'] = flinkKafkaClients ?? 'unknown';

let env: BenchEnv | undefined;
let broker: KafkaBroker | undefined;
const throughput: ThroughputRow[] = [];
const latency: LatencyRow[] = [];
const checks: string[] = [];

/** Reads `topic` back and fails the run unless it holds exactly `expected`. */
async function verify(what: string, topic: string, expected: ContentDigest): Promise<void> {
  const t = performance.now();
  const got = await readTopic(broker!.bootstrap, topic, { expected: expected.count });
  const problems = outputProblems(what, expected.toJSON(), got.toJSON());
  if (problems.length) throw new Error(problems.join('\n'));
  const line = `${what}: ${topic} holds exactly the ${fmt(expected.count)} expected records (read_committed, digest ${got.toJSON().sum})`;
  checks.push(line);
  say(`${line} [read in ${((performance.now() - t) / 1000).toFixed(1)} s]`);
}

function latencyRow(engine: Engine, parallelism: number, r: LatencyReading): LatencyRow {
  const h = r.histogram;
  return {
    engine,
    parallelism,
    rate: latencyRate,
    records: latencyRecords,
    p50Ms: h.quantile(0.5),
    p99Ms: h.quantile(0.99),
    maxMs: h.maxMs,
    meanMs: h.mean(),
    histogram: h.toJSON(),
  };
}

try {
  env = await startBenchEnv(values['keep-logs']);
  broker = await startKafkaBroker(join(env.work, 'kafka'));
  say(`broker ${broker.bootstrap}, MinIO ${env.minio.info.url}`);
  const input = 'bench-input';
  await createTopic(broker.bootstrap, input, partitions);
  const tl = performance.now();
  const expected = await loadInput(broker.bootstrap, input, partitions, records, (n) =>
    say(`loading: ${fmt(n)} records`),
  );
  say(`loaded ${fmt(records)} records into ${input} in ${((performance.now() - tl) / 1000).toFixed(1)} s`);

  const sluice: SluiceSetup = { env, bootstrap: broker.bootstrap, checkpointIntervalMs };
  const flink: FlinkSetup = {
    env,
    bootstrap: broker.bootstrap,
    checkpointIntervalMs,
    heap: values['flink-heap'],
    warmupFraction,
    warmupInput: input,
  };

  for (const p of parallelisms) {
    if (!scenarios.has('throughput')) break;
    const sOut = `sluice-out-p${p}`;
    const fOut = `flink-out-p${p}`;
    const fWarm = `flink-warmup-out-p${p}`;
    for (const t of [sOut, fOut, fWarm]) await createTopic(broker.bootstrap, t, partitions);

    say(`Sluice throughput, p=${p}`);
    const s = await sluiceThroughput(sluice, {
      name: `sluice-tp-p${p}`,
      input,
      output: sOut,
      parallelism: p,
    });
    throughput.push(
      throughputRow('sluice', p, records, s, {
        checkpoints: s.checkpoints,
        startSeconds: s.startSeconds,
      }),
    );
    say(
      `  ${s.wallSeconds.toFixed(2)} s, ${fmt(records / s.wallSeconds)} events/s, CPU ${s.cpuSeconds?.toFixed(2) ?? '?'} s, ${s.checkpoints} checkpoints (spawn → running ${s.startSeconds.toFixed(2)} s)`,
    );
    await verify(`Sluice throughput p=${p}`, sOut, expected);

    say(`Flink throughput, p=${p} (warm-up: ${warmupFraction} of the input, discarded)`);
    const f = await flinkThroughput(flink, {
      name: `flink-tp-p${p}`,
      input,
      output: fOut,
      warmupOutput: fWarm,
      parallelism: p,
    });
    throughput.push(throughputRow('flink', p, records, f, { ...(f.warmup ? { warmup: f.warmup } : {}) }));
    say(
      `  ${f.wallSeconds.toFixed(2)} s, ${fmt(records / f.wallSeconds)} events/s, CPU ${f.cpuSeconds?.toFixed(2) ?? '?'} s (warm-up ${f.warmup?.seconds.toFixed(1) ?? '?'} s)`,
    );
    await verify(`Flink throughput p=${p}`, fOut, expected);
  }

  for (const p of parallelisms) {
    if (!scenarios.has('latency')) break;
    for (const engine of ['sluice', 'flink'] as const) {
      const lin = `${engine}-lat-in-p${p}`;
      const lout = `${engine}-lat-out-p${p}`;
      const warm = `${engine}-lat-warmup-out-p${p}`;
      for (const t of [lin, lout, ...(engine === 'flink' ? [warm] : [])])
        await createTopic(broker.bootstrap, t, partitions);
      say(
        `${engine === 'sluice' ? 'Sluice' : 'Flink'} latency, p=${p}: ${fmt(latencyRecords)} records at ${fmt(latencyRate)}/s`,
      );
      const o = {
        name: `${engine}-lat-p${p}`,
        input: lin,
        output: lout,
        parallelism: p,
        partitions,
        records: latencyRecords,
        rate: latencyRate,
      };
      const r =
        engine === 'sluice'
          ? await sluiceLatency(sluice, o)
          : await flinkLatency(flink, { ...o, warmupOutput: warm });
      const problems = outputProblems(`${engine} latency p=${p}`, r.expected.toJSON(), r.digest.toJSON());
      if (problems.length) throw new Error(problems.join('\n'));
      checks.push(
        `${engine} latency p=${p}: ${lout} holds exactly the ${fmt(latencyRecords)} records produced (read_committed)`,
      );
      const row = latencyRow(engine, p, r);
      latency.push(row);
      say(
        `  p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms, max ${row.maxMs.toFixed(1)} ms (produced in ${r.produceSeconds.toFixed(1)} s)`,
      );
    }
  }
} catch (err) {
  console.error(`bench-kafka failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await broker?.stop().catch(() => undefined);
  await env?.close().catch(() => undefined);
}

if (process.exitCode !== 1) {
  provenance.loadAverage.end = loadAverage();
  const problems = rowProblems({ throughput, latency });
  if (problems.length) throw new Error(`rows must not be compared:\n- ${problems.join('\n- ')}`);
  const results: KafkaResults = {
    provenance,
    throughput,
    latency,
    checks,
    verdicts: verdicts({ throughput, latency }),
  };
  console.log('');
  for (const l of comparisonLines(results)) console.log(l);
  console.log('');
  console.log(
    "Notes: wall time = job start (Sluice: spawn of the workers; Flink: submission in the warm JVM) → the output's " +
      'last stable offset reached its final value (every record committed), sampled every 100 ms. CPU: Sluice = the ' +
      'worker processes (trees); Flink = its whole JVM (JobManager, TaskManagers, Kafka clients). With exactly-once, ' +
      'latency is bound by the checkpoint interval on both sides (a record is visible once the checkpoint after it commits).',
  );
  const out = resolve(root, values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  say(`wrote ${values.out}`);
}
