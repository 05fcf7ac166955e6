/**
 * CPU profiles of the workers on a throughput scenario of bench-runtime (docs/runtime.md "Profile
 * of wordcount", "Profile of Nexmark Q5 and Q7"): the built-in `wordcount` job with generator
 * input (the bench-runtime defaults: 4 partitions, 8 words per line over a vocabulary of 1000), or
 * a built-in Nexmark query over `--lines` generated events, with the discard sink, at each
 * parallelism, every worker started with `node --cpu-prof`. After the input ends a final
 * checkpoint lets the workers exit 0, which writes their profiles. Prints, per parallelism, the
 * shares of the workers' sampled time by area of the code and the functions with the most self
 * time, and writes a results file with the same figures and the provenance.
 *
 *   node bench/runtime/profile.ts [--job wordcount|nexmark-q0|…|nexmark-q7] [--lines 3000000]
 *                                 [--parallelism 1,2] [--top 25]
 *                                 [--out bench/results/<job>-profile.json] [--profiles-dir DIR]
 *                                 [--v8-flags '--no-turbo-inlining'] [--help]
 *
 * `--lines` counts wordcount's lines or a Nexmark query's events. `--v8-flags` are set in the
 * workers at start-up by a preloaded module (`--import`; V8 flags are refused in `NODE_OPTIONS`):
 * `--no-turbo-inlining` charges each function its own time instead of its optimised caller's,
 * which makes the worker slower, so read such a profile for attribution only, never for a rate.
 *
 * The `.cpuprofile` files stay in `--profiles-dir` (default: a temporary directory, printed) for
 * a flame graph in Chrome DevTools or speedscope.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalCoordinator, LocalJob } from '../../test/harness/local-workers.ts';
import { collectProvenance } from '../collect-provenance.ts';
import { areaOf, frameName, sampledTime, shares, type CpuProfile, type Share } from './cpu-profile.ts';
import { fmt, jobOptions, startBenchEnv } from './lib.ts';
import { printUsageAndExit } from '../usage.ts';

const { values } = parseArgs({
  options: {
    job: { type: 'string', default: 'wordcount' },
    lines: { type: 'string', default: '3000000' },
    parallelism: { type: 'string', default: '1,2' },
    top: { type: 'string', default: '25' },
    out: { type: 'string' },
    'profiles-dir': { type: 'string' },
    'v8-flags': { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) printUsageAndExit(import.meta.filename);
const LINES = Number(values.lines);
const TOP = Number(values.top);
const PARALLELISMS = values.parallelism.split(',').map(Number);
const JOB = values.job;
if (!/^(wordcount|nexmark-q[01257])$/.test(JOB)) throw new Error(`--job: unknown job ${JOB}`);
const OUT = values.out ?? resolve(import.meta.dirname, '..', 'results', `${JOB}-profile.json`);
/** The job's configuration: wordcount reads generated lines, a Nexmark query generated events. */
const jobConfig = (n: number) =>
  JOB === 'wordcount'
    ? { input: { generator: { lines: n } }, output: { discard: {} } }
    : { events: n, output: { discard: {} } };
if (!(LINES > 0) || !(TOP > 0) || PARALLELISMS.some((p) => !Number.isInteger(p) || p < 1)) {
  throw new Error('need --lines > 0, --top > 0 and --parallelism a list of integers ≥ 1');
}
const profilesDir = resolve(values['profiles-dir'] ?? mkdtempSync(join(tmpdir(), 'sluice-profiles-')));
/** `--import` of a module that sets `--v8-flags` in a worker, or nothing when there are none. */
const v8FlagsImport = (() => {
  const flags = values['v8-flags'].split(/\s+/).filter(Boolean);
  if (flags.length === 0) return '';
  const file = join(profilesDir, 'v8-flags.mjs');
  writeFileSync(
    file,
    `import { setFlagsFromString } from 'node:v8';\nfor (const f of ${JSON.stringify(flags)}) setFlagsFromString(f);\n`,
  );
  return ` --import=${pathToFileURL(file).href}`;
})();
const say = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** One parallelism's profile summary. */
interface ProfileRun {
  parallelism: number;
  lines: number;
  /** Wall time from all workers running to the last line read, s. */
  readSeconds: number;
  /** Sampled time of all workers' profiles, s. */
  sampledSeconds: number;
  areas: Share[];
  functions: Share[];
}

async function profileAt(p: number): Promise<ProfileRun> {
  const env = await startBenchEnv();
  const dir = join(profilesDir, `${JOB}-p${p}`);
  mkdirSync(dir, { recursive: true });
  try {
    const o = jobOptions(env, `${JOB}-profile-p${p}`, JOB, jobConfig(LINES), p, {
      SLUICE_LOG_LEVEL: 'warn',
      NODE_OPTIONS: `--no-warnings --cpu-prof --cpu-prof-dir=${dir}${v8FlagsImport}`,
    });
    const job = await LocalJob.start(o);
    try {
      await job.waitRunning(120_000);
      const t0 = performance.now();
      await job.waitSourcesExhausted(900_000);
      const readSeconds = (performance.now() - t0) / 1000;
      say(`p=${p}: ${fmt(LINES)} lines/events read in ${readSeconds.toFixed(1)} s; final checkpoint`);
      await new LocalCoordinator(env.client, env.bucket, o.storagePrefix).checkpoint(job, {
        timeoutMs: 120_000,
      });
      for (const w of job.workers) {
        const exit = await w.exit;
        if (exit.code !== 0)
          throw new Error(`worker ${w.index} exited ${JSON.stringify(exit)}:\n${job.logTail(w.index)}`);
      }
      const profiles = readdirSync(dir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
      if (profiles.length !== p)
        throw new Error(`expected ${p} profiles in ${dir}, found ${profiles.length}`);
      return {
        parallelism: p,
        lines: LINES,
        readSeconds,
        sampledSeconds: profiles.reduce((n, pr) => n + sampledTime(pr), 0) / 1e6,
        areas: shares(profiles, areaOf).filter((s) => s.inclusive >= 0.005),
        functions: shares(profiles, frameName).slice(0, TOP),
      };
    } finally {
      await job.stop();
    }
  } finally {
    await env.close();
  }
}

function print(r: ProfileRun): void {
  console.log(
    `\n${JOB} p=${r.parallelism}: ${fmt(r.lines)} lines/events in ${r.readSeconds.toFixed(1)} s, ${r.sampledSeconds.toFixed(1)} s sampled over the workers`,
  );
  console.log('\n| area | self | inclusive |\n| --- | ---: | ---: |');
  for (const a of r.areas) console.log(`| ${a.name} | ${pct(a.self)} | ${pct(a.inclusive)} |`);
  console.log('\n| function | self | inclusive |\n| --- | ---: | ---: |');
  for (const f of r.functions) console.log(`| \`${f.name}\` | ${pct(f.self)} | ${pct(f.inclusive)} |`);
}

const provenance = collectProvenance(values);
const runs: ProfileRun[] = [];
for (const p of PARALLELISMS) {
  say(`▶ ${JOB} p=${p}, ${fmt(LINES)} lines/events, --cpu-prof into ${profilesDir}`);
  const r = await profileAt(p);
  print(r);
  runs.push(r);
}
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify({ provenance, job: JOB, profilesDir, runs }, null, 2)}\n`);
say(`results: ${OUT}; profiles: ${profilesDir}`);
