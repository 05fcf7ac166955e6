/**
 * What the operator holds in memory when it manages many idle StreamJobs (issue "Memory: find
 * what the process holds at idle (heap snapshot) and cut it"): the world of run.ts (real etcd +
 * kube-apiserver, MinIO, least-privilege RBAC, leader election on, production log level and
 * resync, pods made Running/Ready by the kubelet stand-in, no worker processes), N jobs created
 * and made Ready, then — with the operator idle — its memory figures and a V8 heap snapshot.
 *
 *   node bench/operator-scale/heap.ts [--jobs 1000] [--parallelism 2] [--settle 60]
 *                                     [--node-options='...'] [--env NAME=VALUE]...
 *                                     [--no-gc] [--no-snapshot] [--burst-snapshot] [--alloc-profile]
 *                                     [--malloc-trim] [--set-flags='--trace-gc ...']
 *                                     [--create-concurrency 16] [--ready-timeout S]
 *                                     [--max-concurrent-reconciles N]
 *
 * Steps: start the bench cluster (cluster.ts) and the operator with
 * `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<work dir>` (plus `--node-options`, the rest
 * of the operator's NODE_OPTIONS); create `--jobs` StreamJobs × `--parallelism` pods
 * (checkpoint interval 86400 s, the CRD's maximum, so no checkpoint runs) with
 * `--create-concurrency` requests in flight; wait until every job shows Ready=True
 * (`--ready-timeout`, default 240 s per 200 jobs) and the operator's queue is empty; sample the
 * operator for `--settle` seconds (VmRSS every second, printed every 10 s); print RSS (and its
 * anonymous/file split and the largest /proc/<pid>/smaps mappings), VmHWM, and the operator's
 * prom-client heap figures (used/total/external, per V8 space); then (unless `--no-gc`) force a
 * full GC through the operator's inspector (`--inspect` on a free loopback port,
 * `HeapProfiler.collectGarbage`, the DevTools "collect garbage" button) and print the same
 * figures plus `process.memoryUsage()` and `v8.getHeapStatistics()` right after and 10 s later:
 * the live set and what the GC gives back to the OS, without the memory the snapshot writer
 * itself allocates; then send SIGUSR2 and wait for the `.heapsnapshot` to be written (V8 runs a
 * full GC first, so the snapshot is the live set); print RSS again right after and 10 s later
 * (inflated by the snapshot writer's own allocations); stop every process and keep the work
 * directory (operator.log, the snapshot).
 *
 * `--burst-snapshot` does the same (figures, forced GC, snapshot) once during the burst, when
 * half of the worker pods are Ready: the live set while the operator's queue is deep.
 *
 * `--alloc-profile` samples the operator's allocations during the burst (the inspector's
 * `HeapProfiler.startSampling`, every 64 KiB on average, objects the GC has since collected
 * included), writes `burst.heapprofile` to the work directory (DevTools opens it) and prints the
 * functions and packages that allocated the most: where the garbage comes from.
 *
 * `--malloc-trim` (needs gdb; a diagnostic — Node has no API for it): after the
 * forced GC, attaches gdb to the operator and calls glibc's `malloc_stats()` (per-arena bytes
 * taken from the system and in use, written to the operator's stderr, i.e. operator.log) and
 * `malloc_trim(0)` (returns every free page of every arena to the system), then prints RSS
 * again: how much of the RSS outside the V8 heap is memory glibc holds free.
 *
 * `--set-flags '...'` sets V8 flags in the operator through the inspector right after it is
 * ready (`v8.setFlagsFromString`), for flags NODE_OPTIONS refuses such as `--trace-gc` and
 * `--trace-memory-reducer`; their output lands in operator.log, and the run ends with a tally
 * of the GC lines there and the last of them.
 *
 * `--jobs 0` measures the operator without jobs the same way (the baseline of per-job bytes).
 * `--env NAME=VALUE` (repeatable) sets more environment variables of the operator, e.g.
 * `MALLOC_ARENA_MAX=2`.
 *
 * The operator runs with a 120 s lease / 100 s renew deadline instead of 15 s / 10 s: writing a
 * snapshot of a large heap blocks its event loop for many seconds, and with the default
 * deadline it would lose the lease and exit before the RSS after the snapshot is read. Unless
 * `--no-gc`, it also runs with `--inspect=127.0.0.1:<free port>` (an idle inspector thread until
 * heap.ts connects). Nothing else differs from run.ts's operator. Values of `--node-options` and
 * `--set-flags` start with a dash: write them with `=` (`--node-options='--max-semi-space-size=8'`).
 *
 * Analyse the snapshot with `node bench/operator-scale/heap-summary.ts <file>`.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Jobs, REPO_ROOT } from '../../test/harness/operator.ts';
import {
  startBenchCluster,
  startOperator,
  stopBenchCluster,
  type BenchCluster,
  type OperatorHandle,
} from './cluster.ts';
import { freePort } from '../../test/harness/ports.ts';
import { logTail } from '../../test/harness/process.ts';
import { JobTracker, Limiter, PodAgent } from './observers.ts';
import { readProc } from './procfs.ts';
import { scrapeHttp, sum, waitQueueDrained, type Scrape } from './prom.ts';

const HELP = `Usage: node bench/operator-scale/heap.ts [options]

  --jobs N                   StreamJobs (default 1000)
  --parallelism N            worker pods per job (default 2)
  --settle S                 seconds of idle after every job is Ready and the queue is empty (default 60)
  --node-options='...'       more NODE_OPTIONS of the operator (V8 flags to compare; note the =)
  --env NAME=VALUE           more environment of the operator (repeatable), e.g. MALLOC_ARENA_MAX=2
  --no-gc                    no forced GC through the inspector (and no --inspect)
  --no-snapshot              print the figures, take no heap snapshot
  --burst-snapshot           also measure (and snapshot) once in the burst, when half the pods are Ready
  --alloc-profile            sample allocations during the burst (inspector); print the top allocating functions
  --malloc-trim              after the forced GC: gdb calls malloc_stats() and malloc_trim(0) in the operator
  --set-flags='...'          V8 flags set in the operator at start through the inspector (e.g. --trace-gc)
  --create-concurrency N     create requests in flight (default 16)
  --ready-timeout S          seconds to wait for every job to be Ready (default 240 per 200 jobs)
  --max-concurrent-reconciles N   operator setting (default: the operator's, 4)
`;

const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    jobs: { type: 'string', default: '1000' },
    parallelism: { type: 'string', default: '2' },
    settle: { type: 'string', default: '60' },
    'node-options': { type: 'string', default: '' },
    env: { type: 'string', multiple: true, default: [] },
    gc: { type: 'boolean', default: true },
    snapshot: { type: 'boolean', default: true },
    'burst-snapshot': { type: 'boolean', default: false },
    'alloc-profile': { type: 'boolean', default: false },
    'malloc-trim': { type: 'boolean', default: false },
    'set-flags': { type: 'string' },
    'create-concurrency': { type: 'string', default: '16' },
    'ready-timeout': { type: 'string' },
    'max-concurrent-reconciles': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if ((args['alloc-profile'] || args['set-flags']) && !args.gc) {
  process.stderr.write(`--alloc-profile and --set-flags need the inspector: drop --no-gc\n${HELP}`);
  process.exit(2);
}

function num(name: keyof typeof args, allowZero = false): number {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    process.stderr.write(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number\n${HELP}`);
    process.exit(2);
  }
  return v;
}

const N = num('jobs', true);
const P = num('parallelism');
const SETTLE_S = num('settle', true);
const CREATE_CONCURRENCY = num('create-concurrency');
const READY_TIMEOUT_S =
  args['ready-timeout'] !== undefined ? num('ready-timeout') : Math.max(240, Math.ceil((240 * N) / 200));
/** Longest wait for the operator's queue to drain after the burst (as run.ts: 30 s per 200 jobs). */
const DRAIN_S = Math.max(30, Math.ceil((30 * N) / 200));
/** intervalSeconds meaning "off": the CRD's maximum, so no periodic checkpoint is due. */
const OFF_INTERVAL_S = 86_400;

const T0 = performance.now();
const say = (line: string) =>
  process.stdout.write(`[+${((performance.now() - T0) / 1000).toFixed(1)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (b: number) => (b / 2 ** 20).toFixed(1);

// ---------------------------------------------------------------------------------------------
// Jobs (a small equivalent of run.ts's jobManifest / createJobs / waitReady)

function jobManifest(name: string, namespace: string): object {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'StreamJob',
    metadata: { name, namespace },
    spec: {
      image: 'sluice-runtime:dev',
      job: { entry: 'wordcount' },
      parallelism: P,
      upgradeMode: 'last-state',
      checkpoint: { intervalSeconds: OFF_INTERVAL_S, timeoutSeconds: 5 },
    },
  };
}

async function waitReady(
  tracker: JobTracker,
  agent: PodAgent,
  names: string[],
  op: OperatorHandle,
  halfway: (() => Promise<void>) | undefined,
): Promise<boolean> {
  const deadline = performance.now() + READY_TIMEOUT_S * 1000;
  let lastPrint = 0;
  let halfwayDone = halfway === undefined;
  for (;;) {
    const child = op.process.child;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `operator exited (${child.exitCode ?? child.signalCode}) during the burst; log ${op.process.logFile}:\n${logTail(op.process, 15)}`,
      );
    }
    if (!halfwayDone && agent.podCounts().ready >= (names.length * P) / 2) {
      halfwayDone = true;
      await halfway!();
    }
    const ready = names.filter((n) => tracker.jobs.get(n)?.readyAtMs !== undefined).length;
    const now = performance.now();
    if (ready === names.length || now > deadline || now - lastPrint >= 10_000) {
      const pods = agent.podCounts();
      say(`jobs Ready ${ready}/${names.length}, pods ${pods.pods} (Ready ${pods.ready})`);
      lastPrint = now;
    }
    if (ready === names.length) return true;
    if (now > deadline) return false;
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------
// Memory figures

/** kB fields of /proc/<pid>/status, bytes. */
function statusFields(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const m of readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(/^(\w+):\s+(\d+)(?: kB)?$/gm)) {
      out[m[1]!] = m[0].endsWith('kB') ? Number(m[2]) * 1024 : Number(m[2]);
    }
  } catch {
    // gone
  }
  return out;
}

/**
 * Resident bytes of /proc/<pid>/smaps grouped by what is mapped: a file (its base name),
 * `[heap]` (malloc's brk area), `[stack]`, other `[...]`, or `anon` (V8's heap pages, malloc
 * arenas of other threads, thread stacks, JIT code), with the number of mappings.
 */
function smapsGroups(pid: number): Array<{ what: string; rss: number; mappings: number }> {
  const groups = new Map<string, { rss: number; mappings: number }>();
  let current = 'anon';
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return [];
  }
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const path = header[1]!.trim();
      current = path === '' ? 'anon' : path.startsWith('[') ? path : path.slice(path.lastIndexOf('/') + 1);
      const g = groups.get(current) ?? { rss: 0, mappings: 0 };
      g.mappings++;
      groups.set(current, g);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) groups.get(current)!.rss += Number(rss[1]) * 1024;
  }
  return [...groups].map(([what, g]) => ({ what, ...g })).sort((a, b) => b.rss - a.rss);
}

const HEAP_METRICS = [
  'nodejs_heap_size_',
  'nodejs_heap_space_size_',
  'nodejs_external_memory_bytes',
  'nodejs_active_handles_total',
  'nodejs_active_resources_total',
  'process_open_fds',
];

async function printMemory(label: string, op: OperatorHandle): Promise<void> {
  const pid = op.process.pid;
  const st = statusFields(pid);
  say(
    `${label}: RSS ${MiB(st.VmRSS ?? 0)} MiB (anon ${MiB(st.RssAnon ?? 0)}, file ${MiB(st.RssFile ?? 0)}, ` +
      `shmem ${MiB(st.RssShmem ?? 0)}), peak VmHWM ${MiB(st.VmHWM ?? 0)} MiB, VmSize ${MiB(st.VmSize ?? 0)} MiB, threads ${st.Threads ?? '?'}`,
  );
  let m: Scrape;
  try {
    m = await scrapeHttp(`${op.url}/metrics`, HEAP_METRICS);
  } catch (err) {
    say(`  /metrics: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  say(
    `  V8 heap used ${MiB(sum(m, 'nodejs_heap_size_used_bytes'))} MiB, total ${MiB(sum(m, 'nodejs_heap_size_total_bytes'))} MiB; ` +
      `external ${MiB(sum(m, 'nodejs_external_memory_bytes'))} MiB; open fds ${sum(m, 'process_open_fds')}, ` +
      `active handles ${sum(m, 'nodejs_active_handles_total')}`,
  );
  const spaces = [
    ...new Set(
      m.samples.filter((s) => s.name === 'nodejs_heap_space_size_used_bytes').map((s) => s.labels.space!),
    ),
  ];
  say(
    `  spaces used/total MiB: ${spaces
      .map(
        (sp) =>
          `${sp} ${MiB(sum(m, 'nodejs_heap_space_size_used_bytes', { space: sp }))}/${MiB(sum(m, 'nodejs_heap_space_size_total_bytes', { space: sp }))}`,
      )
      .join(', ')}`,
  );
  const groups = smapsGroups(pid);
  say(
    `  smaps RSS by mapping: ${groups
      .slice(0, 8)
      .map((g) => `${g.what} ${MiB(g.rss)} MiB (${g.mappings})`)
      .join(', ')}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The operator's inspector: a forced full GC and the process's own memory figures

interface Inspector {
  call(method: string, params?: object): Promise<Record<string, unknown>>;
  close(): void;
}

/** Connects to the inspector on `port` (the operator's only target). */
async function connectInspector(port: number): Promise<Inspector> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string;
  }>;
  const ws = new WebSocket(list[0]!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`inspector on port ${port}: connection failed`)), {
      once: true,
    });
  });
  let next = 1;
  const waiting = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  ws.addEventListener('message', (ev: MessageEvent) => {
    const msg = JSON.parse(String(ev.data)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: { message: string };
    };
    if (msg.id === undefined) return;
    const w = waiting.get(msg.id);
    waiting.delete(msg.id);
    if (msg.error) w?.reject(new Error(msg.error.message));
    else w?.resolve(msg.result ?? {});
  });
  return {
    call(method, params = {}) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}

/** `process.memoryUsage()` and `v8.getHeapStatistics()` of the operator, evaluated in it. */
async function inProcessFigures(insp: Inspector): Promise<Record<string, Record<string, number>>> {
  const expression = `JSON.stringify({ usage: process.memoryUsage(), v8: process.getBuiltinModule('v8').getHeapStatistics() })`;
  const r = (await insp.call('Runtime.evaluate', { expression, returnByValue: true })) as {
    result?: { value?: string };
  };
  return JSON.parse(r.result?.value ?? '{}') as Record<string, Record<string, number>>;
}

async function printInProcess(insp: Inspector): Promise<void> {
  const f = await inProcessFigures(insp);
  const u = f.usage ?? {};
  const h = f.v8 ?? {};
  say(
    `  process.memoryUsage: rss ${MiB(u.rss ?? 0)}, heapTotal ${MiB(u.heapTotal ?? 0)}, heapUsed ${MiB(u.heapUsed ?? 0)}, ` +
      `external ${MiB(u.external ?? 0)}, arrayBuffers ${MiB(u.arrayBuffers ?? 0)} MiB`,
  );
  say(
    `  v8: total_physical_size ${MiB(h.total_physical_size ?? 0)}, malloced_memory ${MiB(h.malloced_memory ?? 0)}, ` +
      `peak_malloced_memory ${MiB(h.peak_malloced_memory ?? 0)}, external_memory ${MiB(h.external_memory ?? 0)}, ` +
      `heap_size_limit ${MiB(h.heap_size_limit ?? 0)} MiB, native contexts ${h.number_of_native_contexts ?? '?'}`,
  );
}

/** Where the repository's own files start in a script URL (file:///…/repo/). */
const REPO_MARK = `${REPO_ROOT.replace(/\/+$/, '')}/`;

/** A node of a sampling heap profile (CDP HeapProfiler.SamplingHeapProfileNode). */
interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** Prints the functions and the packages (or files) that allocated the most in `head`'s tree. */
function printAllocations(head: ProfileNode): void {
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  const placeOf = (url: string): string => {
    if (url === '') return '(V8 / native)';
    const nm = url.lastIndexOf('node_modules/');
    if (nm >= 0) {
      const rest = url.slice(nm + 'node_modules/'.length).split('/');
      return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    }
    if (url.startsWith('node:')) return url;
    const repo = url.indexOf(REPO_MARK);
    return repo >= 0 ? url.slice(repo + REPO_MARK.length) : url;
  };
  /** The file: its path under node_modules/ or the repository, or the URL. */
  const fileOf = (url: string): string => {
    if (url === '') return '(V8 / native)';
    const nm = url.lastIndexOf('node_modules/');
    if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
    const repo = url.indexOf(REPO_MARK);
    return repo >= 0 ? url.slice(repo + REPO_MARK.length) : url;
  };
  const stack: ProfileNode[] = [head];
  while (stack.length > 0) {
    const n = stack.pop()!;
    stack.push(...n.children);
    if (n.selfSize === 0) continue;
    total += n.selfSize;
    const f = n.callFrame;
    const fn = `${f.functionName || '(anonymous)'} ${fileOf(f.url)}:${f.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + n.selfSize);
    const place = placeOf(f.url);
    byPlace.set(place, (byPlace.get(place) ?? 0) + n.selfSize);
  }
  say(`allocated in the burst (sampled estimate): ${MiB(total)} MiB`);
  say('  by package / operator file:');
  for (const [k, v] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    say(`    ${MiB(v).padStart(9)} MiB ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
  say('  by function:');
  for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    say(`    ${MiB(v).padStart(9)} MiB ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
}

/**
 * gdb calls `malloc_stats()` and `malloc_trim(0)` in process `pid` (see the module comment) and
 * prints what malloc_stats wrote to `logFile` (the operator's stderr) and RSS before and after.
 */
async function mallocTrim(op: OperatorHandle): Promise<void> {
  const pid = op.process.pid;
  const logFile = op.process.logFile;
  const before = readFileSync(logFile).length;
  const rss0 = statusFields(pid).VmRSS ?? 0;
  const gdb = spawnSync(
    'gdb',
    [
      '-p',
      String(pid),
      '-batch',
      '-ex',
      'call (void) malloc_stats()',
      '-ex',
      'call (int) malloc_trim(0)',
      '-ex',
      'call (void) malloc_stats()',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  await sleep(500);
  const rss1 = statusFields(pid).VmRSS ?? 0;
  // The first malloc_stats() output (before the trim): per arena, then the total.
  const text = readFileSync(logFile).subarray(before).toString('utf8');
  const first = text.slice(0, text.indexOf('max mmap bytes') + 1 || undefined);
  const nums = [
    ...first.matchAll(
      /(Arena \d+|Total \(incl\. mmap\)):\s+system bytes\s+=\s+(\d+)\s+in use bytes\s+=\s+(\d+)/g,
    ),
  ];
  if (nums.length === 0) {
    // gdb in a container may exit 1 over register state it cannot restore; the calls still ran.
    say(
      `  no malloc_stats output (gdb exit ${gdb.status ?? gdb.error?.message}): ${(gdb.stderr ?? '').trim().slice(-300)}`,
    );
    return;
  }
  say(
    `  glibc malloc_stats before the trim (system / in use MiB): ${nums
      .map((m) => `${m[1]} ${MiB(Number(m[2]))} / ${MiB(Number(m[3]))}`)
      .join(', ')}`,
  );
  say(
    `  malloc_trim(0): RSS ${MiB(rss0)} → ${MiB(rss1)} MiB (${MiB(rss0 - rss1)} MiB of free malloc pages returned)`,
  );
}

/** Tallies the `--trace-gc` lines of `logFile` by kind and prints the last ones. */
function printGcTally(logFile: string): void {
  const lines = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: /.test(l));
  const kinds = new Map<string, number>();
  for (const l of lines) {
    const kind = /ms: ([A-Za-z-]+(?: \([^)]*\))?)/.exec(l)?.[1] ?? '?';
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  say(`--trace-gc lines in ${logFile}: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const l of lines.filter((x) => x.includes('Mark-Compact')).slice(-6)) say(`  ${l.slice(0, 200)}`);
}

// ---------------------------------------------------------------------------------------------
// Heap snapshot

function snapshotFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot'));
}

/** Whether `file` ends the way a complete heap snapshot does (`]}` after the strings array). */
function looksComplete(file: string): boolean {
  const size = statSync(file).size;
  if (size < 2) return false;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(64, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return /\]\s*\}\s*$/.test(buf.toString('latin1'));
  } finally {
    closeSync(fd);
  }
}

/** Sends SIGUSR2 and waits (up to 10 min) until a new snapshot file is complete; returns its path. */
async function takeSnapshot(op: OperatorHandle, dir: string): Promise<string> {
  const before = new Set(snapshotFiles(dir));
  const t = performance.now();
  process.kill(op.process.pid, 'SIGUSR2');
  let last = -1;
  let stableSince = performance.now();
  while (performance.now() - t < 600_000) {
    await sleep(500);
    const fresh = snapshotFiles(dir).filter((f) => !before.has(f));
    if (fresh.length === 0) continue;
    const file = join(dir, fresh[0]!);
    const size = statSync(file).size;
    if (size !== last) {
      last = size;
      stableSince = performance.now();
    } else if (performance.now() - stableSince >= 2000 && looksComplete(file)) {
      say(
        `heap snapshot written in ${((performance.now() - t) / 1000).toFixed(1)} s: ${file} (${MiB(size)} MiB)`,
      );
      return file;
    }
  }
  throw new Error(`no complete heap snapshot in ${dir} after 10 min`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  say(
    `operator heap at idle: ${N} jobs × ${P} pods, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  let cluster: BenchCluster | undefined;
  let operator: OperatorHandle | undefined;
  let tracker: JobTracker | undefined;
  let agent: PodAgent | undefined;
  let interrupted = false;
  const cleanup = async () => {
    tracker?.stop();
    agent?.stop();
    await stopBenchCluster(cluster, operator, true);
    if (cluster) say(`stopped every process; kept ${cluster.workDir}`);
  };
  const onSignal = (sig: string) => {
    if (interrupted) return;
    interrupted = true;
    say(`${sig}: stopping every process`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    cluster = await startBenchCluster(say);
    tracker = new JobTracker(cluster.kubeConfig, cluster.env.namespace);
    agent = new PodAgent(cluster.kubeConfig, cluster.env.namespace);
    await Promise.all([tracker.start(), agent.start()]);

    const inspectPort = args.gc ? await freePort() : undefined;
    const nodeOptions = [
      args['node-options'],
      ...(inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
      ...(args.snapshot ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${cluster.workDir}`] : []),
    ]
      .filter(Boolean)
      .join(' ');
    const extraEnv: Record<string, string> = {};
    for (const kv of args.env) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`--env ${kv}: expected NAME=VALUE`);
      extraEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const settings: Record<string, string> = {
      ...extraEnv,
      NODE_OPTIONS: nodeOptions,
      SLUICE_LEASE_DURATION: '120s',
      SLUICE_RENEW_DEADLINE: '100s',
    };
    if (args['max-concurrent-reconciles'])
      settings.SLUICE_MAX_CONCURRENT_RECONCILES = args['max-concurrent-reconciles'];
    operator = await startOperator(cluster, settings);
    const op = operator;
    const pid = op.process.pid;
    say(
      `operator pid ${pid} ready; NODE_OPTIONS='${nodeOptions}'${args.env.length ? `; env ${args.env.join(' ')}` : ''}`,
    );
    if (args['set-flags'] && inspectPort) {
      const insp = await connectInspector(inspectPort);
      try {
        const expression = `process.getBuiltinModule('v8').setFlagsFromString(${JSON.stringify(args['set-flags'])})`;
        await insp.call('Runtime.evaluate', { expression });
        say(`set V8 flags in the operator: ${args['set-flags']}`);
      } finally {
        insp.close();
      }
    }
    await sleep(2000);
    await printMemory('no jobs', op);

    const workDir = cluster.workDir;
    /** Forced GC (inspector) and snapshot with figures before and after; `settleAfter`: wait 10 s after each. */
    const measure = async (label: string, settleAfter: boolean) => {
      if (inspectPort) {
        const insp = await connectInspector(inspectPort);
        try {
          await printInProcess(insp);
          say(`${label}: forcing a full GC through the inspector (HeapProfiler.collectGarbage)`);
          const t = performance.now();
          await insp.call('HeapProfiler.collectGarbage');
          say(`  GC took ${Math.round(performance.now() - t)} ms`);
          await printMemory(`${label}, right after the forced GC`, op);
          await printInProcess(insp);
          if (settleAfter) {
            await sleep(10_000);
            await printMemory(`${label}, 10 s after the forced GC`, op);
            await printInProcess(insp);
            if (args['malloc-trim']) {
              say(`${label}: gdb → malloc_stats(), malloc_trim(0)`);
              await mallocTrim(op);
              await printMemory(`${label}, after malloc_trim(0)`, op);
            }
          }
        } finally {
          insp.close();
        }
      }
      if (args.snapshot) {
        say(`${label}: sending SIGUSR2 (V8 runs a full GC, then writes the snapshot)`);
        const file = await takeSnapshot(op, workDir);
        await printMemory(`${label}, right after the snapshot`, op);
        if (settleAfter) {
          await sleep(10_000);
          await printMemory(`${label}, 10 s after the snapshot`, op);
        }
        if (!existsSync(file)) throw new Error(`${file} vanished`);
        say(`analyse: node bench/operator-scale/heap-summary.ts ${file}`);
      }
    };

    const names = Array.from({ length: N }, (_, i) => `job-${String(i).padStart(4, '0')}`);
    const jobs = new Jobs(cluster.kubeConfig, cluster.env.namespace);
    const limiter = new Limiter(CREATE_CONCURRENCY);
    say(`creating ${N} StreamJobs, ${CREATE_CONCURRENCY} requests in flight`);
    const tCreate = performance.now();
    const creating = Promise.all(
      names.map((name) =>
        limiter.run(async () => {
          tracker!.created(name, performance.now());
          await jobs.create(jobManifest(name, cluster!.env.namespace));
        }),
      ),
    ).then(() => say(`all ${N} created in ${Math.round(performance.now() - tCreate)} ms`));
    creating.catch(() => undefined);
    const halfway = args['burst-snapshot']
      ? async () => {
          const pods = agent!.podCounts();
          await printMemory(`mid-burst (${pods.ready} pods Ready, ${tracker!.readyCount()} jobs Ready)`, op);
          await measure('mid-burst', false);
        }
      : undefined;
    let profiler: Inspector | undefined;
    if (args['alloc-profile'] && inspectPort) {
      profiler = await connectInspector(inspectPort);
      await profiler.call('HeapProfiler.startSampling', {
        samplingInterval: 65_536,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      say('sampling allocations (HeapProfiler.startSampling, 64 KiB interval) until every job is Ready');
    }
    const allReady = await waitReady(tracker, agent, names, op, halfway);
    if (profiler) {
      const { profile } = (await profiler.call('HeapProfiler.stopSampling')) as {
        profile: { head: ProfileNode };
      };
      profiler.close();
      const file = join(cluster.workDir, 'burst.heapprofile');
      writeFileSync(file, JSON.stringify(profile));
      say(`allocation profile of the burst: ${file}`);
      printAllocations(profile.head);
    }
    await creating;
    if (!allReady) say(`WARNING: not every job Ready after ${READY_TIMEOUT_S} s; going on`);
    say(
      `burst done in ${((performance.now() - tCreate) / 1000).toFixed(1)} s; waiting for the queue to drain`,
    );
    if (!(await waitQueueDrained(op.url, DRAIN_S)))
      say(`operator queue not empty after ${DRAIN_S} s; going on`);
    await printMemory('queue drained', op);

    say(`idle for ${SETTLE_S} s`);
    const rss: number[] = [];
    for (let s = 1; s <= SETTLE_S; s++) {
      await sleep(1000);
      const p = readProc(pid);
      if (!p) throw new Error(`operator exited; log ${join(cluster.workDir, 'operator.log')}`);
      rss.push(p.rssBytes);
      if (s % 10 === 0) say(`  t=${s}s RSS ${MiB(p.rssBytes)} MiB`);
    }
    if (rss.length > 0) {
      say(
        `idle RSS MiB: min ${MiB(Math.min(...rss))}, mean ${MiB(rss.reduce((a, b) => a + b, 0) / rss.length)}, max ${MiB(Math.max(...rss))}`,
      );
    }
    await printMemory(`idle with ${N} jobs`, op);

    await measure('idle', true);
    if (args['set-flags']?.includes('--trace-gc')) printGcTally(op.process.logFile);
  } finally {
    if (!interrupted) await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `heap run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
