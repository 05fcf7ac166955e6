/**
 * The operator's memory with no StreamJob (docs/operator.md "Memory at idle"), for each way it
 * can run, in one run: the same world as run.ts (real etcd + kube-apiserver, MinIO,
 * least-privilege RBAC, leader election on, production log level and resync), a fresh one per
 * variant, the operator started and no job.
 *
 *   node bench/operator-scale/idle.ts [--seconds 60] [--variants bundle,sources,...]
 *                                     [--node-options='...'] [--heap-snapshot] [--out FILE]
 *
 * Variants: `bundle` (operator/bundle.ts with a compile cache filled by `--help` first: what
 * the image runs, operator/Dockerfile), `bundle-no-cache`, `sources` (`node
 * operator/src/main.ts` with a compile cache), `sources-no-cache` (as in development); default
 * all four. `--node-options` is the operator's NODE_OPTIONS (default: the image's,
 * operator/Dockerfile). For each variant: VmRSS every 10 s from /proc/<pid>/status, then the
 * minimum, mean and last RSS of the 1 s samples, the peak (VmHWM), and heap used / heap total /
 * external from the operator's own prom-client metrics at the end. `--heap-snapshot` starts
 * the operator with `--heapsnapshot-signal=SIGUSR2` and sends that signal at the end: the
 * `.heapsnapshot` file lands in the kept work directory. Writes the figures and the run's
 * provenance to `--out` (default bench/results/operator-idle.json).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { collectProvenance, loadAverage } from '../collect-provenance.ts';
import {
  imageMemoryEnv,
  startBenchCluster,
  startOperator,
  stopBenchCluster,
  type BenchCluster,
  type OperatorBuild,
  type OperatorHandle,
} from './cluster.ts';
import { readProc } from './procfs.ts';
import { scrapeHttp, sum } from './prom.ts';
import { REPO_ROOT } from '../../test/harness/operator.ts';

const VARIANTS: Record<string, { build: OperatorBuild; compileCache: boolean }> = {
  bundle: { build: 'bundle', compileCache: true },
  'bundle-no-cache': { build: 'bundle', compileCache: false },
  sources: { build: 'sources', compileCache: true },
  'sources-no-cache': { build: 'sources', compileCache: false },
};

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
    'node-options': { type: 'string', default: imageMemoryEnv().NODE_OPTIONS ?? '' },
    'heap-snapshot': { type: 'boolean', default: false },
    out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results', 'operator-idle.json') },
  },
});
const seconds = Number(args.seconds);
const variants = args.variants.split(',').filter(Boolean);
for (const v of variants)
  if (!VARIANTS[v]) throw new Error(`unknown variant ${v}; known: ${Object.keys(VARIANTS).join(', ')}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const say = (line: string) => process.stdout.write(`${line}\n`);

/** One variant's figures (MiB). */
interface IdleFigures {
  variant: string;
  rssMiB: { min: number; mean: number; last: number; peak: number };
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

/** Starts a fresh world, runs the operator as `variant` for `seconds`, and measures it. */
async function measure(variant: string): Promise<IdleFigures> {
  let cluster: BenchCluster | undefined;
  let operator: OperatorHandle | undefined;
  try {
    cluster = await startBenchCluster(say);
    const nodeOptions = [
      args['node-options'],
      ...(args['heap-snapshot']
        ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${cluster.workDir}`]
        : []),
    ]
      .filter(Boolean)
      .join(' ');
    operator = await startOperator(cluster, { NODE_OPTIONS: nodeOptions }, VARIANTS[variant]);
    const pid = operator.process.pid;
    say(`[${variant}] operator pid ${pid} ready; NODE_OPTIONS='${nodeOptions}'; sampling ${seconds} s`);
    const rss: number[] = [];
    for (let s = 1; s <= seconds; s++) {
      await sleep(1000);
      const p = readProc(pid);
      if (!p) throw new Error('operator exited');
      rss.push(p.rssBytes);
      if (s === 2 || s % 10 === 0) say(`  t=${s}s RSS ${MiB(p.rssBytes)} MiB`);
    }
    const m = await scrapeHttp(`${operator.url}/metrics`, [
      'nodejs_heap_size_',
      'nodejs_external_memory_bytes',
    ]);
    const end = readProc(pid)!;
    const figures: IdleFigures = {
      variant,
      rssMiB: {
        min: MiB(Math.min(...rss)),
        mean: MiB(rss.reduce((a, b) => a + b, 0) / rss.length),
        last: MiB(end.rssBytes),
        peak: MiB(end.hwmBytes),
      },
      heapUsedMiB: MiB(sum(m, 'nodejs_heap_size_used_bytes')),
      heapTotalMiB: MiB(sum(m, 'nodejs_heap_size_total_bytes')),
      externalMiB: MiB(sum(m, 'nodejs_external_memory_bytes')),
    };
    say(
      `[${variant}] RSS MiB: min ${figures.rssMiB.min}, mean ${figures.rssMiB.mean}, last ${figures.rssMiB.last}, ` +
        `peak (VmHWM) ${figures.rssMiB.peak}; heap used ${figures.heapUsedMiB} MiB, heap total ` +
        `${figures.heapTotalMiB} MiB, external ${figures.externalMiB} MiB`,
    );
    if (args['heap-snapshot']) {
      process.kill(pid, 'SIGUSR2');
      await sleep(15_000);
      say(`heap snapshot in ${cluster.workDir}`);
    }
    return figures;
  } finally {
    await stopBenchCluster(cluster, operator, args['heap-snapshot']);
  }
}

const provenance = collectProvenance(
  {
    seconds,
    variants: args.variants,
    'node-options': args['node-options'],
    'heap-snapshot': args['heap-snapshot'],
  },
  {},
);
const results: IdleFigures[] = [];
for (const v of variants) results.push(await measure(v));
say(`\nvariant            RSS last  RSS mean  peak   heap used  external   (MiB, at ${seconds} s)`);
for (const r of results) {
  say(
    `${r.variant.padEnd(17)}  ${String(r.rssMiB.last).padStart(8)}  ${String(r.rssMiB.mean).padStart(8)}  ` +
      `${String(r.rssMiB.peak).padStart(5)}  ${String(r.heapUsedMiB).padStart(9)}  ${String(r.externalMiB).padStart(8)}`,
  );
}
provenance.loadAverage.end = loadAverage();
writeFileSync(
  args.out,
  `${JSON.stringify({ benchmark: 'operator-idle', date: new Date().toISOString(), seconds, nodeOptions: args['node-options'], results, provenance }, null, 2)}\n`,
);
say(`results: ${args.out}`);
