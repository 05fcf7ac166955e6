/**
 * The operator's memory with no StreamJob (issue 14, "Idle memory"; docs/operator.md "Memory at
 * idle"): the same world as run.ts (real etcd + kube-apiserver, MinIO, least-privilege RBAC,
 * leader election on, production log level and resync) with the operator started and no job.
 *
 *   node bench/operator-scale/idle.ts [--seconds 60] [--node-options '...'] [--heap-snapshot]
 *                                     [--compile-cache DIR]
 *
 * Prints VmRSS every 10 s from /proc/<pid>/status, then the minimum, mean and last RSS of the
 * 1 s samples, the peak (VmHWM), and heap used / heap total / external from the operator's own
 * prom-client metrics at the end. `--node-options` is the operator's NODE_OPTIONS (V8 flags to
 * compare). `--heap-snapshot` starts the operator with `--heapsnapshot-signal=SIGUSR2` and sends
 * that signal at the end: the `.heapsnapshot` file lands in the kept work directory.
 * `--compile-cache DIR` sets the operator's NODE_COMPILE_CACHE (run twice: the first run fills it).
 */
import { parseArgs } from 'node:util';
import {
  startBenchCluster,
  startOperator,
  stopBenchCluster,
  type BenchCluster,
  type OperatorHandle,
} from './cluster.ts';
import { readProc } from './procfs.ts';
import { scrapeHttp, sum } from './prom.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    'node-options': { type: 'string', default: '' },
    'heap-snapshot': { type: 'boolean', default: false },
    'compile-cache': { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const say = (line: string) => process.stdout.write(`${line}\n`);

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
  const cache = args['compile-cache'];
  operator = await startOperator(cluster, {
    NODE_OPTIONS: nodeOptions,
    ...(cache ? { NODE_COMPILE_CACHE: cache } : {}),
  });
  const pid = operator.process.pid;
  say(`operator pid ${pid} ready; NODE_OPTIONS='${nodeOptions}'; sampling ${seconds} s`);
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
  say(
    `RSS MiB: min ${MiB(Math.min(...rss))}, mean ${MiB(rss.reduce((a, b) => a + b, 0) / rss.length)}, ` +
      `last ${MiB(end.rssBytes)}, peak (VmHWM) ${MiB(end.hwmBytes)}`,
  );
  say(
    `heap used ${MiB(sum(m, 'nodejs_heap_size_used_bytes'))} MiB, heap total ${MiB(sum(m, 'nodejs_heap_size_total_bytes'))} MiB, ` +
      `external ${MiB(sum(m, 'nodejs_external_memory_bytes'))} MiB`,
  );
  if (args['heap-snapshot']) {
    process.kill(pid, 'SIGUSR2');
    await sleep(15_000);
    say(`heap snapshot in ${cluster.workDir}`);
  }
} finally {
  await stopBenchCluster(cluster, operator, args['heap-snapshot']);
}
